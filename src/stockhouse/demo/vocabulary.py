"""What the demo catalog is about: scenes with palettes, tags, categories and translations.

Titles and tags exist in English, German, French and Spanish, so that searches in
`dp_lang` and translated results have something to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockhouse.demo.images import Palette

LANGUAGES = ("de", "fr", "es")


@dataclass(frozen=True)
class Scene:
    """A subject the demo photographs: its words in four languages and its look."""

    title: dict[str, str]  # language -> subject
    tags: tuple[str, ...]  # English tags; translations in TAG_TRANSLATIONS
    palette: Palette
    category: str
    people: dict[str, object] = field(default_factory=dict)
    editorial: bool = False
    nudity: bool = False


def _t(en: str, de: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "de": de, "fr": fr, "es": es}


SCENES: tuple[Scene, ...] = (
    Scene(
        _t(
            "sunset over the sea",
            "Sonnenuntergang über dem Meer",
            "coucher de soleil sur la mer",
            "puesta de sol sobre el mar",
        ),
        ("sunset", "sea", "sky", "evening", "water"),
        Palette((250, 140, 60), (20, 40, 90), (255, 215, 120)),
        "Nature",
    ),
    Scene(
        _t("mountain lake", "Bergsee", "lac de montagne", "lago de montaña"),
        ("mountain", "lake", "water", "nature", "travel"),
        Palette((120, 180, 235), (20, 90, 60), (240, 245, 250)),
        "Nature",
    ),
    Scene(
        _t("green forest", "grüner Wald", "forêt verte", "bosque verde"),
        ("forest", "tree", "green", "nature", "summer"),
        Palette((60, 140, 50), (10, 70, 20), (150, 220, 90)),
        "Nature",
    ),
    Scene(
        _t("city at night", "Stadt bei Nacht", "ville la nuit", "ciudad de noche"),
        ("city", "night", "lights", "architecture", "travel"),
        Palette((5, 10, 60), (10, 10, 20), (255, 210, 60)),
        "Architecture",
        editorial=True,
    ),
    Scene(
        _t("desert dunes", "Wüstendünen", "dunes du désert", "dunas del desierto"),
        ("desert", "sand", "dune", "travel", "summer"),
        Palette((250, 205, 150), (210, 140, 60), (255, 240, 200)),
        "Travel",
    ),
    Scene(
        _t("snowy field", "verschneites Feld", "champ enneigé", "campo nevado"),
        ("snow", "winter", "white", "cold", "nature"),
        Palette((235, 240, 248), (250, 250, 252), (200, 215, 235)),
        "Nature",
    ),
    Scene(
        _t("lavender field", "Lavendelfeld", "champ de lavande", "campo de lavanda"),
        ("lavender", "flower", "purple", "summer", "nature"),
        Palette((180, 160, 230), (110, 60, 160), (140, 90, 200)),
        "Nature",
    ),
    Scene(
        _t("red roses", "rote Rosen", "roses rouges", "rosas rojas"),
        ("rose", "flower", "red", "love", "garden"),
        Palette((200, 20, 40), (90, 10, 20), (250, 60, 80)),
        "Nature",
    ),
    Scene(
        _t(
            "coffee on a wooden table",
            "Kaffee auf einem Holztisch",
            "café sur une table en bois",
            "café en una mesa de madera",
        ),
        ("coffee", "cup", "table", "food", "morning"),
        Palette((120, 70, 40), (60, 35, 20), (230, 210, 180)),
        "Food & Drink",
    ),
    Scene(
        _t("tropical beach", "tropischer Strand", "plage tropicale", "playa tropical"),
        ("beach", "sea", "sand", "travel", "summer"),
        Palette((0, 220, 240), (240, 220, 140), (255, 255, 255)),
        "Travel",
    ),
    Scene(
        _t(
            "woman working on a laptop",
            "Frau arbeitet am Laptop",
            "femme travaillant sur un portable",
            "mujer trabajando con un portátil",
        ),
        ("woman", "laptop", "business", "office", "work"),
        Palette((220, 225, 230), (90, 100, 120), (250, 200, 170)),
        "Business",
        people={
            "gender": "female",
            "age": "30",
            "race": "caucasian",
            "quantity": 1,
            "only": True,
        },
    ),
    Scene(
        _t("family picnic", "Familienpicknick", "pique-nique en famille", "picnic familiar"),
        ("family", "picnic", "children", "park", "summer"),
        Palette((140, 200, 240), (60, 150, 50), (250, 120, 100)),
        "People",
        people={"gender": "both", "age": "child", "race": "multi", "quantity": 4},
    ),
    Scene(
        _t("business meeting", "Geschäftstreffen", "réunion d'affaires", "reunión de negocios"),
        ("business", "meeting", "team", "office", "people"),
        Palette((200, 205, 215), (40, 50, 70), (30, 90, 200)),
        "Business",
        people={"gender": "both", "age": "30", "race": "asian", "quantity": 3},
    ),
    Scene(
        _t("marble statue", "Marmorstatue", "statue en marbre", "estatua de mármol"),
        ("statue", "marble", "art", "museum", "sculpture"),
        Palette((200, 195, 185), (120, 115, 110), (235, 230, 225)),
        "Arts & Entertainment",
        nudity=True,
    ),
    Scene(
        _t("autumn leaves", "Herbstlaub", "feuilles d'automne", "hojas de otoño"),
        ("autumn", "leaves", "orange", "tree", "nature"),
        Palette((250, 180, 60), (150, 60, 20), (240, 120, 30)),
        "Nature",
    ),
    Scene(
        _t("street protest", "Straßenprotest", "manifestation de rue", "protesta callejera"),
        ("protest", "street", "crowd", "news", "city"),
        Palette((150, 150, 160), (60, 60, 65), (220, 40, 40)),
        "People",
        editorial=True,
        people={"gender": "both", "age": "30", "race": "multi", "quantity": 20},
    ),
    Scene(
        _t("yellow taxi", "gelbes Taxi", "taxi jaune", "taxi amarillo"),
        ("taxi", "car", "yellow", "city", "street"),
        Palette((255, 230, 0), (80, 80, 80), (255, 255, 120)),
        "Transportation",
    ),
)

ADJECTIVES: tuple[dict[str, str], ...] = (
    _t("calm", "ruhig", "calme", "tranquilo"),
    _t("bright", "hell", "lumineux", "luminoso"),
    _t("misty", "neblig", "brumeux", "brumoso"),
    _t("golden", "golden", "doré", "dorado"),
    _t("quiet", "still", "paisible", "silencioso"),
    _t("vivid", "lebhaft", "vif", "vívido"),
)

TAG_TRANSLATIONS: dict[str, dict[str, str]] = {
    "sunset": _t("sunset", "Sonnenuntergang", "coucher de soleil", "puesta de sol"),
    "sea": _t("sea", "Meer", "mer", "mar"),
    "sky": _t("sky", "Himmel", "ciel", "cielo"),
    "evening": _t("evening", "Abend", "soir", "tarde"),
    "water": _t("water", "Wasser", "eau", "agua"),
    "mountain": _t("mountain", "Berg", "montagne", "montaña"),
    "lake": _t("lake", "See", "lac", "lago"),
    "nature": _t("nature", "Natur", "nature", "naturaleza"),
    "travel": _t("travel", "Reise", "voyage", "viaje"),
    "forest": _t("forest", "Wald", "forêt", "bosque"),
    "tree": _t("tree", "Baum", "arbre", "árbol"),
    "green": _t("green", "grün", "vert", "verde"),
    "summer": _t("summer", "Sommer", "été", "verano"),
    "city": _t("city", "Stadt", "ville", "ciudad"),
    "night": _t("night", "Nacht", "nuit", "noche"),
    "lights": _t("lights", "Lichter", "lumières", "luces"),
    "architecture": _t("architecture", "Architektur", "architecture", "arquitectura"),
    "desert": _t("desert", "Wüste", "désert", "desierto"),
    "sand": _t("sand", "Sand", "sable", "arena"),
    "dune": _t("dune", "Düne", "dune", "duna"),
    "snow": _t("snow", "Schnee", "neige", "nieve"),
    "winter": _t("winter", "Winter", "hiver", "invierno"),
    "white": _t("white", "weiß", "blanc", "blanco"),
    "cold": _t("cold", "kalt", "froid", "frío"),
    "lavender": _t("lavender", "Lavendel", "lavande", "lavanda"),
    "flower": _t("flower", "Blume", "fleur", "flor"),
    "purple": _t("purple", "lila", "violet", "morado"),
    "rose": _t("rose", "Rose", "rose", "rosa"),
    "red": _t("red", "rot", "rouge", "rojo"),
    "love": _t("love", "Liebe", "amour", "amor"),
    "garden": _t("garden", "Garten", "jardin", "jardín"),
    "coffee": _t("coffee", "Kaffee", "café", "café"),
    "cup": _t("cup", "Tasse", "tasse", "taza"),
    "table": _t("table", "Tisch", "table", "mesa"),
    "food": _t("food", "Essen", "nourriture", "comida"),
    "morning": _t("morning", "Morgen", "matin", "mañana"),
    "beach": _t("beach", "Strand", "plage", "playa"),
    "woman": _t("woman", "Frau", "femme", "mujer"),
    "laptop": _t("laptop", "Laptop", "ordinateur portable", "portátil"),
    "business": _t("business", "Geschäft", "affaires", "negocios"),
    "office": _t("office", "Büro", "bureau", "oficina"),
    "work": _t("work", "Arbeit", "travail", "trabajo"),
    "family": _t("family", "Familie", "famille", "familia"),
    "picnic": _t("picnic", "Picknick", "pique-nique", "picnic"),
    "children": _t("children", "Kinder", "enfants", "niños"),
    "park": _t("park", "Park", "parc", "parque"),
    "meeting": _t("meeting", "Besprechung", "réunion", "reunión"),
    "team": _t("team", "Team", "équipe", "equipo"),
    "people": _t("people", "Menschen", "personnes", "personas"),
    "statue": _t("statue", "Statue", "statue", "estatua"),
    "marble": _t("marble", "Marmor", "marbre", "mármol"),
    "art": _t("art", "Kunst", "art", "arte"),
    "museum": _t("museum", "Museum", "musée", "museo"),
    "sculpture": _t("sculpture", "Skulptur", "sculpture", "escultura"),
    "autumn": _t("autumn", "Herbst", "automne", "otoño"),
    "leaves": _t("leaves", "Blätter", "feuilles", "hojas"),
    "orange": _t("orange", "orange", "orange", "naranja"),
    "protest": _t("protest", "Protest", "manifestation", "protesta"),
    "street": _t("street", "Straße", "rue", "calle"),
    "crowd": _t("crowd", "Menschenmenge", "foule", "multitud"),
    "news": _t("news", "Nachrichten", "actualités", "noticias"),
    "taxi": _t("taxi", "Taxi", "taxi", "taxi"),
    "car": _t("car", "Auto", "voiture", "coche"),
    "yellow": _t("yellow", "gelb", "jaune", "amarillo"),
}


def scene_title(scene: Scene, adjective: dict[str, str], lang: str) -> str:
    """A title such as "Calm sunset over the sea" (other languages: "subject, adjective")."""
    if lang == "en":
        return f"{adjective['en'].capitalize()} {scene.title['en']}"
    subject = scene.title[lang]
    return f"{subject[0].upper()}{subject[1:]}, {adjective[lang]}"


def translated_tags(tags: tuple[str, ...], lang: str) -> list[str]:
    return [TAG_TRANSLATIONS[tag][lang] for tag in tags]
