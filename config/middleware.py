"""Compression of the application's answers, with BREACH in mind."""

from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

# Sec-Fetch-Site values of requests that no other site started: a link or form of our own
# pages, or the person typing the address or opening a bookmark.
OWN_REQUESTS = {"same-origin", "none"}
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")


class CompressionMiddleware(GZipMiddleware):
    """Gzip text answers, but only those to requests that no other site could have started.

    BREACH recovers a secret from a compressed HTTPS answer when an attacker can make the
    victim's browser send many requests whose text she chooses, reflected in the answer next to
    the secret, and can see the answers' sizes on the network. Here every page reflects its
    own address (the language switch sends you back to it), and case pages hold a victim's
    name and document number, so "this page reflects nothing" cannot be promised page by page.
    Option (a) is taken instead at the request: a request that another site started (a link,
    form, image or script on it) carries `Sec-Fetch-Site: cross-site` or `same-site` in every
    current browser, and its answer is sent uncompressed, so the attacker's guesses never meet
    the compressor; browsers too old to send the header get plain answers too. Requests from our
    own pages (`same-origin`) and typed addresses (`none`) are compressed.

    Two more layers stay in place: the CSRF token in forms is masked afresh in every answer
    (Django's `get_token`; tests/test_compression.py checks it) and the cookies that hold
    secrets travel in headers, which gzip never touches; and Django's GZipMiddleware pads each
    answer with up to 100 random bytes in the gzip header ("Heal the Breaches"), which blurs
    the sizes an attacker would compare.
    """

    def process_response(self, request, response):
        patch_vary_headers(response, ("Accept-Encoding", "Sec-Fetch-Site"))
        if request.META.get("HTTP_SEC_FETCH_SITE") not in OWN_REQUESTS:
            return response
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE_TYPES):
            return response  # images, spreadsheets, zips: compressed already, or not worth it
        return super().process_response(request, response)
