"""The bottom layer: settings, value types, text helpers, JSON Lines. Imports nothing else of advisor."""
