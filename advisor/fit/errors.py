"""What the fit engine raises (ProfileFileError, for an unreadable CV, lives with the file readers)."""


class FitModelError(ValueError):
    """The paper does not contain the model the fit engine needs (Table 1, Section 4 roles...)."""


class FitInputError(ValueError):
    """A quiz answer or profile the engine cannot use as given; the message says what to fix."""
