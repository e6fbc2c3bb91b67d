from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .roles import role_of


@extend_schema(responses=inline_serializer("Me", {"username": serializers.CharField(), "role": serializers.CharField(allow_null=True)}))
@api_view(["GET"])
def me(request):
    """Who the token or session belongs to, and their role."""
    return Response({"username": request.user.get_username(), "role": role_of(request.user)})
