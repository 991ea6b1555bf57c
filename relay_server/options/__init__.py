"""The relay's options that an admin may change at run time (AD4), with their origin and audit."""
