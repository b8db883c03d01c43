"""What the JSON API (src/entrypoints/http) and the console (src/entrypoints/console) share:
injection of use-case groups, the application errors' statuses, login throttling, security
headers, id bounds. Both import from here; neither imports the other."""
