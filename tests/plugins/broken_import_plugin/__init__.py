"""A plugin that fails at import, like one whose optional dependency is missing."""
raise ImportError("broken_import_plugin needs the module 'libbroken', which is not installed")
