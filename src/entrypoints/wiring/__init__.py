"""The composition root's parts: adapters from settings, use cases in the groups each
router receives (`groups`), and how they are built (`use_cases`). `bootstrap` assembles them."""
