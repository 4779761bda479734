"""The paths of the public pages (core.decorators.public_page): the lists, a question, a
member's page. nginx looks up its anonymous page cache for these paths only
(deploy/nginx/common/public.conf); tests/test_public_pages.py checks that the pattern matches
every URL of a public view and no other. Plain Python: deploy.nginx renders it without Django.
"""

import re

# Names as Django's `str` and `int` path converters match them.
PUBLIC_PAGE_PATTERN = r"^/(?:hot/|unanswered/|tag/[^/]+/|question/[0-9]+/|user/[^/]+/)?$"
PUBLIC_PAGE_RE = re.compile(PUBLIC_PAGE_PATTERN)
