from django.urls import path

from accounts.jwks import jwks

app_name = "accounts"

urlpatterns: list = [
    path(".well-known/jwks.json", jwks, name="jwks"),
]
