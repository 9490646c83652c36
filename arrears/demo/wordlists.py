"""Word lists for plausible demo names and addresses, per country. Invented combinations only.

Company names are made of a surname or a place-like word, a trade and a legal form; people are
first name + surname. Cities carry what an address and a phone number need: region, postal code
pattern, area code and time zone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    name: str
    region: str
    postal: tuple[str, ...]  # DE/US/IN: (low, high) numeric range; GB: outward codes
    area_code: str  # national area code without trunk prefix
    timezone: str
    weight: int = 1


@dataclass(frozen=True, slots=True)
class CountryWords:
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    places: tuple[str, ...]
    trades: tuple[str, ...]
    legal_forms: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[City, ...]
    ap_mailboxes: tuple[str, ...]


DE = CountryWords(
    surnames=(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Schmitz", "Krause",
        "Lehmann", "Köhler", "Herrmann", "König", "Walter", "Huber", "Kaiser", "Fuchs", "Peters",
        "Scholz", "Möller", "Jung", "Hahn", "Vogel", "Brandt", "Seidel", "Engel", "Ludwig", "Winter",
    ),
    first_names=(
        "Anna", "Lena", "Julia", "Laura", "Sarah", "Katharina", "Sophie", "Marie", "Lisa", "Hannah",
        "Lukas", "Jonas", "Leon", "Felix", "Maximilian", "Paul", "Tobias", "Florian", "Stefan", "Michael",
        "Thomas", "Andreas", "Sabine", "Petra", "Claudia", "Jürgen", "Uwe", "Birgit", "Monika", "Frank",
    ),
    places=(
        "Spree", "Havel", "Elbe", "Rhein", "Isar", "Main", "Nordstern", "Südwind", "Alpen", "Harz",
        "Taunus", "Bergland", "Waldhof", "Seeblick", "Brandenburger", "Märkische", "Hanse", "Weser",
    ),
    trades=(
        "Logistik", "Maschinenbau", "Elektrotechnik", "Bau", "Holzbau", "Metallbau", "Lebensmittel",
        "Getränke", "Druck", "Medien", "Software", "Systemtechnik", "Haustechnik", "Kunststofftechnik",
        "Autoteile", "Handel", "Großhandel", "Möbel", "Verpackung", "Gebäudereinigung", "Transporte",
        "Agrar", "Pharma", "Optik", "Textil", "Energie", "Solartechnik", "Immobilien", "Beratung",
        "Personaldienste",
    ),
    legal_forms=("GmbH", "GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "GmbH & Co. KG", "AG", "KG", "e.K.", "OHG"),
    streets=(
        "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Friedrichstraße", "Lindenallee",
        "Berliner Straße", "Industriestraße", "Am Hafen", "Kastanienweg", "Goethestraße", "Schillerstraße",
        "Mühlenweg", "Parkstraße", "Torstraße", "Gewerbepark", "Am Güterbahnhof",
    ),
    cities=(
        City("Berlin", "Berlin", ("10115", "14199"), "30", "Europe/Berlin", 8),
        City("Hamburg", "Hamburg", ("20095", "22769"), "40", "Europe/Berlin", 3),
        City("München", "Bayern", ("80331", "81929"), "89", "Europe/Berlin", 3),
        City("Köln", "Nordrhein-Westfalen", ("50667", "51149"), "221", "Europe/Berlin", 2),
        City("Frankfurt am Main", "Hessen", ("60306", "60599"), "69", "Europe/Berlin", 2),
        City("Stuttgart", "Baden-Württemberg", ("70173", "70629"), "711", "Europe/Berlin", 2),
        City("Leipzig", "Sachsen", ("04103", "04357"), "341", "Europe/Berlin", 2),
        City("Düsseldorf", "Nordrhein-Westfalen", ("40210", "40629"), "211", "Europe/Berlin", 2),
    ),
    ap_mailboxes=("buchhaltung", "rechnungen", "kreditoren", "finanzen", "ap"),
)

GB = CountryWords(
    surnames=(
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
        "Clarke", "Hughes", "Edwards", "Turner", "Harris", "Cooper", "Ward", "Morris", "King", "Baker",
        "Harrison", "Morgan", "Allen", "Bell", "Murphy", "Kelly", "Shaw", "Carter", "Mitchell", "Ashworth",
        "Pemberton", "Fletcher", "Holloway", "Whitfield",
    ),
    first_names=(
        "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Emily", "Olivia",
        "Amelia", "Isla", "Ava", "Jessica", "Sophie", "Charlotte", "Grace", "Lucy", "Daniel", "Matthew",
        "Sarah", "Rachel", "Hannah", "Chloe", "Ian", "Graham", "Nigel", "Fiona", "Gemma", "Rhys",
    ),
    places=(
        "Pennine", "Thames", "Mersey", "Severn", "Cotswold", "Highland", "Northgate", "Kingsway", "Albion",
        "Wessex", "Avon", "Tyneside", "Clyde", "Chiltern", "Fenland", "Westmorland", "Solent",
    ),
    trades=(
        "Engineering", "Logistics", "Foods", "Construction", "Supplies", "Consulting", "Print", "Interiors",
        "Plumbing", "Electrical", "Pharmaceuticals", "Textiles", "Motors", "Packaging", "Catering", "Software",
        "Hospitality", "Security", "Property Services", "Freight", "Joinery", "Scaffolding",
    ),
    legal_forms=("Ltd", "Ltd", "Ltd", "Ltd", "Ltd", "plc", "LLP", "& Sons Ltd"),
    streets=(
        "High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "Kings Road",
        "Park Avenue", "Queen Street", "London Road", "Market Place", "Bridge Street", "Manor Way",
        "Canal Street", "Riverside Industrial Estate", "Enterprise Park",
    ),
    cities=(
        City("London", "Greater London", ("EC1A", "EC2V", "N1", "NW1", "SE1", "SW1A", "W1D", "E14", "WC2N"), "20", "Europe/London", 6),
        City("Manchester", "Greater Manchester", ("M1", "M2", "M3", "M4", "M15"), "161", "Europe/London", 2),
        City("Birmingham", "West Midlands", ("B1", "B2", "B3", "B4", "B5"), "121", "Europe/London", 2),
        City("Leeds", "West Yorkshire", ("LS1", "LS2", "LS9", "LS11"), "113", "Europe/London", 2),
        City("Glasgow", "Scotland", ("G1", "G2", "G3", "G4"), "141", "Europe/London", 1),
        City("Bristol", "Bristol", ("BS1", "BS2", "BS8"), "117", "Europe/London", 1),
    ),
    ap_mailboxes=("accounts", "payables", "invoices", "finance", "ap"),
)

US = CountryWords(
    surnames=(
        "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Taylor", "Thomas", "Moore",
        "Jackson", "Martin", "Lee", "Thompson", "Harris", "Clark", "Lewis", "Walker", "Young", "Hill",
        "Scott", "Adams", "Nelson", "Baker", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
        "Evans", "Turner", "Parker", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
        "Cooper", "Peterson", "Nguyen", "Kim", "Hernandez", "Lopez",
    ),
    first_names=(
        "James", "Michael", "Robert", "John", "David", "William", "Richard", "Joseph", "Christopher",
        "Matthew", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
        "Sarah", "Karen", "Ashley", "Emily", "Madison", "Tyler", "Brandon", "Maria", "Jose", "Luis",
        "Carmen", "Aaliyah",
    ),
    places=(
        "Summit", "Riverside", "Lakeshore", "Blue Ridge", "Golden Gate", "Liberty", "Pioneer", "Frontier",
        "Cascade", "Evergreen", "Prairie", "Redwood", "Atlantic", "Pacific", "Midwest", "Keystone",
        "Lone Star", "Granite", "Silver Creek", "Harbor",
    ),
    trades=(
        "Supply", "Manufacturing", "Analytics", "Logistics", "Foods", "Construction", "Healthcare",
        "Software", "Distributors", "Industries", "Labs", "Energy", "Freight", "Media", "Outfitters",
        "Dental Group", "Auto Parts", "Building Products", "Packaging", "Staffing",
    ),
    legal_forms=("Inc.", "Inc.", "Inc.", "Inc.", "LLC", "LLC", "LLC", "Corp.", "Co.", "Group"),
    streets=(
        "Main St", "Oak Ave", "Maple St", "Washington Blvd", "Park Ave", "2nd St", "Lake Dr", "Cedar Ln",
        "Elm St", "Industrial Pkwy", "Commerce Dr", "Pine St", "Sunset Blvd", "Broadway", "Market St",
    ),
    cities=(
        City("New York", "NY", ("10001", "10282"), "212", "America/New_York", 4),
        City("Chicago", "IL", ("60601", "60661"), "312", "America/Chicago", 3),
        City("Houston", "TX", ("77001", "77099"), "713", "America/Chicago", 2),
        City("Denver", "CO", ("80202", "80239"), "303", "America/Denver", 1),
        City("Phoenix", "AZ", ("85003", "85054"), "602", "America/Phoenix", 1),
        City("Los Angeles", "CA", ("90001", "90089"), "213", "America/Los_Angeles", 3),
        City("Seattle", "WA", ("98101", "98199"), "206", "America/Los_Angeles", 1),
        City("Atlanta", "GA", ("30303", "30363"), "404", "America/New_York", 2),
        City("Boston", "MA", ("02108", "02137"), "617", "America/New_York", 2),
        City("Miami", "FL", ("33125", "33199"), "305", "America/New_York", 1),
    ),
    ap_mailboxes=("ap", "accountspayable", "billing", "invoices", "finance"),
)

IN = CountryWords(
    surnames=(
        "Sharma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Mehta", "Shah", "Joshi",
        "Rao", "Agarwal", "Malhotra", "Kapoor", "Chopra", "Desai", "Bhat", "Menon", "Pillai", "Banerjee",
        "Chatterjee", "Mukherjee", "Das", "Verma", "Mishra", "Jain", "Bose", "Saxena", "Kulkarni",
    ),
    first_names=(
        "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Vikram", "Suresh", "Ramesh", "Anil",
        "Priya", "Ananya", "Diya", "Kavya", "Sneha", "Pooja", "Neha", "Lakshmi", "Meera", "Divya",
        "Sanjay", "Deepak", "Amit", "Rajesh", "Sunita", "Anjali", "Kiran", "Nikhil", "Aishwarya", "Harish",
    ),
    places=(
        "Kaveri", "Ganga", "Narmada", "Himalaya", "Deccan", "Indus", "Sahyadri", "Coromandel", "Malabar",
        "Konkan", "Vindhya", "Godavari", "Yamuna", "Nilgiri", "Aravalli",
    ),
    trades=(
        "Textiles", "Infotech", "Pharma", "Steels", "Agro Foods", "Engineering", "Logistics", "Polymers",
        "Chemicals", "Electricals", "Motors", "Exports", "Software Solutions", "Constructions", "Packaging",
        "Trading", "Cements", "Fabrics", "Auto Components", "Healthcare",
    ),
    legal_forms=("Pvt Ltd", "Pvt Ltd", "Pvt Ltd", "Pvt Ltd", "Pvt Ltd", "Ltd", "LLP", "& Co."),
    streets=(
        "MG Road", "Link Road", "Station Road", "Nehru Nagar", "Gandhi Marg", "Industrial Area Phase II",
        "Ring Road", "Residency Road", "Linking Road", "Anna Salai", "Park Street", "Old Airport Road",
    ),
    cities=(
        City("Mumbai", "Maharashtra", ("400001", "400104"), "22", "Asia/Kolkata", 3),
        City("New Delhi", "Delhi", ("110001", "110096"), "11", "Asia/Kolkata", 3),
        City("Bengaluru", "Karnataka", ("560001", "560100"), "80", "Asia/Kolkata", 3),
        City("Chennai", "Tamil Nadu", ("600001", "600119"), "44", "Asia/Kolkata", 2),
        City("Pune", "Maharashtra", ("411001", "411062"), "20", "Asia/Kolkata", 2),
        City("Hyderabad", "Telangana", ("500001", "500100"), "40", "Asia/Kolkata", 2),
    ),
    ap_mailboxes=("accounts", "payables", "finance", "billing", "ap"),
)

WORDS: dict[str, CountryWords] = {"DE": DE, "GB": GB, "US": US, "IN": IN}

CONTACT_ROLES = ("Finance manager", "CFO", "Controller", "Purchasing", "Office manager", "Credit controller")
CONSUMER_MAIL_DOMAINS = ("mail.example", "inbox.example", "post.example", "webmail.example")
CREDIT_REASONS = ("Returned goods", "Pricing correction", "Volume rebate", "Damaged in transit", "Short delivery")
DISPUTE_REASONS = (
    "Goods not received", "Wrong quantity invoiced", "Price differs from order", "Quality complaint",
    "Duplicate invoice", "Service not rendered as agreed",
)
WRITE_OFF_REASONS = (
    "Customer insolvent; claim filed with the administrator",
    "Uncollectable after 12 months of dunning",
    "Debt sold to a collection agency",
)
