"""The Textual face of ortbench. The engine never imports this package."""
