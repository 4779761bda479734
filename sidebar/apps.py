from django.apps import AppConfig


class SidebarConfig(AppConfig):
    name = "sidebar"
