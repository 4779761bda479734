"""Words of Django's own catalog that our sentences need in another form.

`timesince` gives "1 минута", but our sentences say "задан 1 минуту назад" (accusative). A
catalog in LOCALE_PATHS comes before Django's, so the ru catalog carries these with the
accusative singular. Listed here (never called) so that makemessages keeps them.
"""

from django.utils.translation import ngettext_lazy

TIMESINCE_UNITS = (
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
)
