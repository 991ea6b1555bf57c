"""The drawing overlay grandchild: the shaped X11 window, its board, the presenter's link."""
