"""A realistic demo country (Kenyan counties, sub-counties and villages) for `flask seed-demo`."""

# Villages as (name, latitude, longitude): the demo gazetteer. The positions are approximate (to a
# few kilometres, read off public maps by hand); they place reports and measure distances in the demo.
# A deployment loads its own survey's gazetteer with `flask places import FILE.csv`.
REGIONS = {
    ("NKR", "Nakuru"): {
        ("NKR-NJO", "Njoro"): [("Mau Narok", -0.617, 36.000), ("Nessuit", -0.430, 35.880), ("Lare", -0.390, 36.080),
                               ("Kihingo", -0.380, 35.910)],
        ("NKR-MOL", "Molo"): [("Elburgon", -0.303, 35.812), ("Turi", -0.270, 35.770), ("Mariashoni", -0.380, 35.720)],
        ("NKR-NAI", "Naivasha"): [("Maai Mahiu", -1.010, 36.590), ("Kinungi", -0.840, 36.570), ("Hell's Gate", -0.910, 36.320)],
    },
    ("KIA", "Kiambu"): {
        ("KIA-LIM", "Limuru"): [("Tigoni", -1.150, 36.670), ("Ngecha", -1.170, 36.690), ("Rironi", -1.140, 36.620)],
        ("KIA-GIT", "Githunguri"): [("Ikinu", -1.020, 36.730), ("Komothai", -1.050, 36.750), ("Githiga", -1.090, 36.730)],
    },
    ("KSM", "Kisumu"): {
        ("KSM-NYA", "Nyando"): [("Ahero", -0.174, 34.919), ("Awasi", -0.156, 35.080), ("Kochogo", -0.200, 34.970)],
        ("KSM-SEM", "Seme"): [("Kombewa", -0.103, 34.505), ("Otieno Owala", -0.060, 34.520), ("Manyuanda", -0.130, 34.470)],
    },
    ("MKS", "Machakos"): {
        ("MKS-MWA", "Mwala"): [("Masii", -1.460, 37.440), ("Kibauni", -1.500, 37.620), ("Wamunyu", -1.420, 37.600)],
        ("MKS-KAN", "Kangundo"): [("Tala", -1.270, 37.320), ("Kivaani", -1.280, 37.360), ("Kakuyuni", -1.290, 37.380)],
    },
    ("MRU", "Meru"): {
        ("MRU-IMN", "Imenti North"): [("Ntakira", 0.070, 37.620), ("Mulathankari", 0.060, 37.660), ("Ruiri", 0.130, 37.610)],
        ("MRU-TIG", "Tigania West"): [("Kianjai", 0.210, 37.780), ("Mbeu", 0.210, 37.720), ("Akithii", 0.170, 37.800)],
    },
}

# Towns, where most buyers live: places of the same gazetteer, seeded after the villages (so the
# villages keep their ids). A buyer's place is what "km from you" and "closest to me" measure from.
TOWNS = {
    ("NBI", "Nairobi"): {
        ("NBI-WST", "Westlands"): [("Westlands", -1.2676, 36.8108), ("Parklands", -1.2620, 36.8180)],
        ("NBI-STH", "Starehe"): [("Nairobi CBD", -1.2864, 36.8172)],
    },
    ("NKR", "Nakuru"): {("NKR-NTE", "Nakuru Town East"): [("Nakuru CBD", -0.2833, 36.0667)]},
    ("KSM", "Kisumu"): {("KSM-CEN", "Kisumu Central"): [("Kisumu CBD", -0.0917, 34.7680)]},
}

DEPARTMENTS = [
    ("AGR", "Agriculture and Livestock"),
    ("REG", "Civil Registration"),
    ("LND", "Lands and Physical Planning"),
    ("TRD", "Trade and Licensing"),
    ("SWF", "Social Welfare"),
    ("PWK", "Public Works, Water and Energy"),
    ("HLT", "Health"),
    ("EDU", "Education"),
]

# Where a demo person lives when it is not the first village: the buyer shops from Nairobi.
DEMO_HOMES = {"buyer": "Westlands"}

# (role, name, phone, email) — one demo person per role; all share DEMO_PASSWORD.
DEMO_PASSWORD = "village-demo-2026"
DEMO_PEOPLE = [
    ("buyer", "Amina Buyer", "+254711000001", "buyer@demo.village.example"),
    ("farmer", "Wanjiru Farmer", "+254711000002", "farmer@demo.village.example"),
    ("resident", "Otieno Resident", "+254711000003", "resident@demo.village.example"),
    ("agent", "Mary Agent", "+254711000004", "agent@demo.village.example"),
    ("official", "Joseph Official", "+254711000005", "official@demo.village.example"),
    ("admin", "Grace Admin", "+254711000006", "admin@demo.village.example"),
]

# Neighbours of the demo farmer (same sub-county), so the price index has the three farmers per
# produce and district its k-anonymity rule asks for, and a fresh install does not look empty.
# (name, phone, farm, village, pickup point)
DEMO_NEIGHBOURS = [
    ("Kamau Njoroge", "+254711000012", "Kamau's Shamba", "Nessuit", "Nessuit shopping centre, stall 2"),
    ("Chebet Koech", "+254711000013", "Chebet Family Farm", "Lare", "Lare market, under the big fig tree"),
    ("Achieng Odhiambo", "+254711000014", "Achieng Greens", "Kihingo", "Kihingo chief's office gate"),
]
