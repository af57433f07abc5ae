app_name = "lattices"

urlpatterns: list = []
