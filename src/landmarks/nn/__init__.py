"""Generic building blocks shared by the networks; nothing here knows about landmarks."""
