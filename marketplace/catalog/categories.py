"""The seeded category tree. Names are gettext strings, so every shipped language has them."""
from flask_babel import lazy_gettext as _l

# slug -> (name, parent slug or None). Order is the order shown.
CATEGORY_TREE = {
    "vegetables": (_l("Vegetables"), None),
    "leafy-greens": (_l("Leafy greens"), "vegetables"),
    "root-vegetables": (_l("Root vegetables"), "vegetables"),
    "tomatoes-peppers": (_l("Tomatoes and peppers"), "vegetables"),
    "fruit": (_l("Fruit"), None),
    "bananas": (_l("Bananas"), "fruit"),
    "mangoes-avocados": (_l("Mangoes and avocados"), "fruit"),
    "citrus": (_l("Citrus"), "fruit"),
    "grains-pulses": (_l("Grains and pulses"), None),
    "maize": (_l("Maize"), "grains-pulses"),
    "beans-lentils": (_l("Beans and lentils"), "grains-pulses"),
    "rice-millet-sorghum": (_l("Rice, millet and sorghum"), "grains-pulses"),
    "dairy": (_l("Dairy"), None),
    "eggs": (_l("Eggs"), None),
    "meat-fish": (_l("Meat and fish"), None),
    "honey": (_l("Honey"), None),
    "herbs-spices": (_l("Herbs and spices"), None),
    "seedlings": (_l("Seedlings"), None),
    "crafts": (_l("Crafts"), None),
}
