"""The hello service: the small app learners put into an image in module 02."""
