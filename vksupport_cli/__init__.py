"""vksupport: a command-line client for a VK-style support desk."""

__version__ = "0.1.0"
