"""Dataset preparation: download, pad, flatten, inspect."""
