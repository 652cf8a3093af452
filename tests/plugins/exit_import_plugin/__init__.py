"""A plugin that ends the program while being imported (a careless ``sys.exit()`` at module level)."""
import sys

sys.exit(3)
