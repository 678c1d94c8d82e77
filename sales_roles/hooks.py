def post_init_hook(env):
    """Classify the clients an existing database already has (set-based SQL)."""
    env["res.partner"]._classify_existing_clients()
