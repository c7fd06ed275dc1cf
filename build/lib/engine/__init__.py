"""The part of makemore-tui that learns: plain Python and PyTorch, no Textual."""
