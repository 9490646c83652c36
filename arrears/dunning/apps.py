from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "arrears.dunning"
    label = "dunning"
    verbose_name = "Dunning"

    def ready(self) -> None:
        from arrears.dunning import hooks, sources

        hooks.dispute_source_register(sources.disputed_amounts_load)
        hooks.promise_source_register(sources.promise_facts_load)
        hooks.event_source_register(sources.events_load)
