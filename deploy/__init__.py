"""How AskMe is run: nginx configs and the code that renders and starts them (deploy.nginx),
ports (deploy.ports), gunicorn's config and the crontab line."""
