from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Spanish (es-PE) unless the user picked another language with the switch.

    The browser's Accept-Language is ignored on purpose: staff share phones and computers set
    up in other languages, and the service works in Spanish; English is there for whoever
    chooses it (the choice is kept in Django's language cookie).
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()
