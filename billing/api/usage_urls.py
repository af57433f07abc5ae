app_name = "usage_api"

urlpatterns: list = []
