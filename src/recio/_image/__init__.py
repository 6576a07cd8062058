"""Implementation of recio's image decoding, pixel ops and augmenters (public: recio.image)."""
