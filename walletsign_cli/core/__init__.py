"""The crypto core: pure, typed functions over bytes.

Nothing here imports click, rich or touches the filesystem (``tests/test_layering.py``
enforces it). Submodules are imported on demand so that start-up stays cheap.
"""
