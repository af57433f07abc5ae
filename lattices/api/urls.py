app_name = "lattices_api"

urlpatterns: list = []
