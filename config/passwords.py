"""Password strength: zxcvbn, told about the words a password here is likely built from.

zxcvbn ships English frequency lists only (passwords, English Wikipedia, US names and TV), and
neither zxcvbn nor django-zxcvbn-password-validator offers a Spanish dictionary, so "clave",
"Cusco2025" or "warmi" looked random to it. `LocalPasswordValidator` hands it the list below as
extra dictionary words, ranked by position (the person's own names and username follow, as the
package adds them): zxcvbn counts a password made of them, capitalised, in l33t or reversed, as
few guesses, as it does for English words.

The list is short and written for this application, not a frequency list: the program's names,
Peru's regions, everyday Spanish and Quechua words people pick, and the passwords this project
has published (the demo logins' default, the tests' logins'), which must never be accepted. zxcvbn
adds at least 10^8 guesses for any password of three or more parts, so "clave-secreto" or
"Yolanda-Quispe" reach strength 3 and pass: its estimate, not a guarantee.
"""

from django_zxcvbn_password_validator import ZxcvbnPasswordValidator

PUBLISHED_PASSWORDS = [
    "warmi-demo-2026",  # seed_demo's DEFAULT_DEMO_PASSWORD, printed in README.md
    "correct-horse-battery",  # the tests' password (and half of a famous example)
]

PROGRAM_WORDS = [
    "warmi",
    "ñan",
    "nan",
    "warmiñan",
    "warminan",
    "mimp",
    "aurora",
    "programa",
    "ministerio",
    "mujer",
    "mujeres",
    "poblaciones",
    "vulnerables",
    "violencia",
    "caso",
    "casos",
    "sar",
    "cem",
    "hrt",
    "cai",
    "hogar",
    "refugio",
    "demo",
]

PLACES = [
    "peru",
    "perú",
    "lima",
    "cusco",
    "cuzco",
    "puno",
    "arequipa",
    "trujillo",
    "piura",
    "chiclayo",
    "iquitos",
    "huancayo",
    "ayacucho",
    "apurimac",
    "huancavelica",
    "cajamarca",
    "amazonas",
    "ancash",
    "callao",
    "junin",
    "loreto",
    "madre de dios",
    "moquegua",
    "pasco",
    "sanmartin",
    "tacna",
    "tumbes",
    "ucayali",
    "huanuco",
    "lambayeque",
    "lalibertad",
    "ica",
    "urcos",
    "machupicchu",
]

SPANISH_WORDS = [
    "contraseña",
    "contrasena",
    "clave",
    "secreto",
    "password",
    "usuario",
    "admin",
    "administrador",
    "acceso",
    "sistema",
    "cambiar",
    "nueva",
    "nuevo",
    "hola",
    "amor",
    "teamo",
    "tequiero",
    "miamor",
    "corazon",
    "dios",
    "jesus",
    "maria",
    "familia",
    "hijo",
    "hija",
    "mama",
    "papa",
    "bienvenido",
    "bienvenida",
    "feliz",
    "cumpleaños",
    "princesa",
    "estrella",
    "futbol",
    "alianza",
    "universitario",
    "cristal",
    "trabajo",
    "oficina",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "sabado",
    "domingo",
    "verano",
    "invierno",
    "primavera",
    "otoño",
]

QUECHUA_WORDS = [
    "inti",
    "killa",
    "pachamama",
    "tayta",
    "mamay",
    "wayna",
    "sumaq",
    "allin",
    "munay",
    "kuyay",
    "llaqta",
    "wasi",
    "qusqu",
]

LOCAL_PASSWORD_WORDS = [
    *PUBLISHED_PASSWORDS,
    *PROGRAM_WORDS,
    *SPANISH_WORDS,
    *PLACES,
    *QUECHUA_WORDS,
]


class LocalPasswordValidator(ZxcvbnPasswordValidator):
    """zxcvbn with the local words as its extra dictionary (before PASSWORD_EXTRA_DICTIONARY's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_dictionary = [*LOCAL_PASSWORD_WORDS, *self.extra_dictionary]
