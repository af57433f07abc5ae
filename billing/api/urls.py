app_name = "billing_api"

urlpatterns: list = []
