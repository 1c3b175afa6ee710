"""A realistic demo country (Kenyan counties, sub-counties and villages) for `flask seed-demo`."""

REGIONS = {
    ("NKR", "Nakuru"): {
        ("NKR-NJO", "Njoro"): ["Mau Narok", "Nessuit", "Lare", "Kihingo"],
        ("NKR-MOL", "Molo"): ["Elburgon", "Turi", "Mariashoni"],
        ("NKR-NAI", "Naivasha"): ["Maai Mahiu", "Kinungi", "Hell's Gate"],
    },
    ("KIA", "Kiambu"): {
        ("KIA-LIM", "Limuru"): ["Tigoni", "Ngecha", "Rironi"],
        ("KIA-GIT", "Githunguri"): ["Ikinu", "Komothai", "Githiga"],
    },
    ("KSM", "Kisumu"): {
        ("KSM-NYA", "Nyando"): ["Ahero", "Awasi", "Kochogo"],
        ("KSM-SEM", "Seme"): ["Kombewa", "Otieno Owala", "Manyuanda"],
    },
    ("MKS", "Machakos"): {
        ("MKS-MWA", "Mwala"): ["Masii", "Kibauni", "Wamunyu"],
        ("MKS-KAN", "Kangundo"): ["Tala", "Kivaani", "Kakuyuni"],
    },
    ("MRU", "Meru"): {
        ("MRU-IMN", "Imenti North"): ["Ntakira", "Mulathankari", "Ruiri"],
        ("MRU-TIG", "Tigania West"): ["Kianjai", "Mbeu", "Akithii"],
    },
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
