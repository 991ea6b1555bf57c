"""The shared whiteboard (CH3): its element model and reconcile rule (``model``)."""
