app_name = "tenants_api"

urlpatterns: list = []
