"""Personal data: masked and pseudonymised before it is stored, kept only as long as configured,
erased on request (``listener purge``)."""
