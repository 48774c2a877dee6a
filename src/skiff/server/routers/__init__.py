"""One router per noun; each declares the backend it needs as a Protocol."""
