"""Words for the demo collection: post and question templates in nine languages, names, bios, and
what the organiser's own account says and is asked; which known accounts are on Bluesky too, and
who speaks there.

Everything here is invented. Handles start with ``demo_`` on X and ``demo-`` on Bluesky (ending in
``.bsky.social``), and organisations end in "(demo)" so nobody mistakes a demo voice for a real one;
the one exception is the organiser's handle on each network, which comes from the event
(``accounts`` in data/event.toml) because the dashboard must recognise it, and its name still ends
in "(demo)".
"""

from __future__ import annotations

LANGUAGE_WEIGHTS = {"en": 52, "ru": 10, "fr": 8, "de": 9, "es": 5, "it": 6, "uk": 4, "tr": 3, "ar": 3}

# {topic} is filled from TOPICS, {tags} with hashtags, {who} with a mention.
POST_TEMPLATES = {
    "en": [
        "{who} on {topic}: partnerships only work when everyone has a role {tags}",
        "Strong message at the Hofburg today about {topic} {tags}",
        '"No country can fight trafficking alone" — {who} on {topic} {tags}',
        "Taking notes on {topic}. Who is missing from this table? {tags}",
        "Great panel discussion on {topic}, thank you {who} {tags}",
        "Data point of the day on {topic}: identification still lags far behind {tags}",
    ],
    "ru": [
        "{who} о теме «{topic}»: партнёрство работает, когда у каждого есть своя роль {tags}",
        "Важная дискуссия в Хофбурге: {topic} {tags}",
        "Ни одна страна не справится с торговлей людьми в одиночку — {topic} {tags}",
    ],
    "fr": [
        "{who} sur {topic} : chacun a un rôle à jouer {tags}",
        "Débat essentiel à la Hofburg sur {topic} {tags}",
        "Aucun pays ne peut lutter seul contre la traite — {topic} {tags}",
    ],
    "de": [
        "{who} zu {topic}: Partnerschaft gelingt nur, wenn alle eine Rolle haben {tags}",
        "Wichtige Diskussion in der Hofburg über {topic} {tags}",
        "Kein Staat kann Menschenhandel allein bekämpfen — {topic} {tags}",
    ],
    "es": ["{who} sobre {topic}: todos tenemos un papel {tags}", "Debate clave en el Hofburg sobre {topic} {tags}"],
    "it": ["{who} su {topic}: ognuno ha un ruolo {tags}", "Dibattito importante all'Hofburg su {topic} {tags}"],
    "uk": [
        "{who} про {topic}: партнерство працює, коли кожен має роль {tags}",
        "Важлива дискусія у Гофбурзі: {topic} {tags}",
    ],
    "tr": [
        "{who}: {topic} konusunda herkesin bir rolü var {tags}",
        "Hofburg'da {topic} üzerine önemli bir tartışma {tags}",
    ],
    "ar": ["{who} حول {topic}: لكل واحد دور في مكافحة الاتجار بالبشر {tags}", "نقاش مهم في فيينا حول {topic} {tags}"],
}

TOPICS = {
    "en": [
        "national referral mechanisms",
        "survivor-led advocacy",
        "supply chain due diligence",
        "labour inspections",
        "online recruitment and cyber police",
        "the role of municipalities",
        "trade unions and migrant workers",
        "teachers spotting the signs",
        "financial investigations",
        "inter-ministerial co-ordination",
    ],
    "ru": [
        "национальные механизмы перенаправления",
        "голос пострадавших",
        "цепочки поставок",
        "трудовые инспекции",
        "роль профсоюзов",
    ],
    "fr": [
        "les mécanismes nationaux d'orientation",
        "la voix des survivantes",
        "les chaînes d'approvisionnement",
        "l'inspection du travail",
        "le rôle des municipalités",
    ],
    "de": [
        "nationale Verweismechanismen",
        "die Stimme der Überlebenden",
        "Lieferketten",
        "Arbeitsinspektionen",
        "die Rolle der Gemeinden",
    ],
    "es": ["los mecanismos nacionales de derivación", "la voz de las supervivientes", "las cadenas de suministro"],
    "it": ["i meccanismi nazionali di referral", "la voce delle sopravvissute", "le catene di fornitura"],
    "uk": ["національні механізми перенаправлення", "голос постраждалих", "ланцюги постачання"],
    "tr": ["ulusal yönlendirme mekanizmaları", "hayatta kalanların sesi", "tedarik zincirleri"],
    "ar": ["آليات الإحالة الوطنية", "أصوات الناجيات", "سلاسل التوريد"],
}

QUESTION_TEMPLATES = {
    "en": [
        "How can {topic} include survivors from the start?",
        "What funding exists for {topic} at local level?",
        "Could the panel say more about {topic} in the OSCE region?",
        "Who evaluates {topic}, and how often?",
    ],
    "ru": ["Как вовлечь пострадавших в {topic}?", "Какие ресурсы есть для темы «{topic}» на местах?"],
    "fr": ["Comment associer les survivantes à {topic} ?", "Quels moyens pour {topic} au niveau local ?"],
    "de": ["Wie werden Überlebende in {topic} einbezogen?", "Welche Mittel gibt es für {topic} vor Ort?"],
    "es": ["¿Cómo incluir a las supervivientes en {topic}?"],
    "it": ["Come coinvolgere le sopravvissute ne {topic}?"],
    "uk": ["Як залучити постраждалих до теми «{topic}»?"],
    "tr": ["{topic} konusunda yerel düzeyde hangi kaynaklar var?"],
    "ar": ["كيف يمكن إشراك الناجيات في {topic}؟"],
}

EXTRA_HASHTAGS = ["#EndHumanTrafficking", "#HumanTrafficking", "#OSCE", "#EveryoneHasARole", "#antitrafficking"]
EMOJI = ["👏", "🙏", "💪", "🤝", "✊🏽", "🇪🇺", "📢", "👉", "❤️", "🌍"]

# Deliberately hostile strings: the app must show each one literally.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![p](http://127.0.0.1:9/pixel.png)",
    "[x](javascript:alert(1))",
    "$\\LaTeX$",
    ":red[colour]",
]

FIRST_NAMES = {
    "en": ["Anna", "James", "Mary", "David", "Grace", "Tom", "Olivia", "Sam"],
    "ru": ["Ольга", "Иван", "Наталья", "Дмитрий", "Мария"],
    "fr": ["Camille", "Luc", "Élodie", "Marc", "Inès"],
    "de": ["Katrin", "Jonas", "Sabine", "Lukas", "Verena"],
    "es": ["Lucía", "Javier", "Carmen"],
    "it": ["Giulia", "Marco", "Chiara"],
    "uk": ["Оксана", "Тарас", "Ірина"],
    "tr": ["Ayşe", "Mehmet", "Elif"],
    "ar": ["ليلى", "أحمد", "مريم"],
}
LAST_NAMES = {
    "en": ["Example", "Sample", "Placeholder", "Fictional", "Testwood"],
    "ru": ["Примерова", "Тестов", "Образцова"],
    "fr": ["Exemple", "Fictif", "Modèle"],
    "de": ["Beispiel", "Muster", "Probe"],
    "es": ["Ejemplo", "Ficticia"],
    "it": ["Esempio", "Fittizia"],
    "uk": ["Приклад", "Зразок"],
    "tr": ["Örnek", "Deneme"],
    "ar": ["مثال", "تجربة"],
}
CITIES = [
    "Vienna",
    "Wien",
    "Warsaw",
    "Kyiv",
    "Москва",
    "Paris",
    "Berlin",
    "Roma",
    "Madrid",
    "Ankara",
    "Tunis",
    "Tbilisi",
    "Tashkent",
    "Washington, DC",
    "Geneva",
    "",
    "",
]

# Bios that the shipped keyword rules recognise, per group (a few per language).
BIOS = {
    "government": [
        "Diplomat at the Permanent Mission to the OSCE (demo)",
        "Ministry of Interior, anti-trafficking unit (demo)",
        "Ständige Vertretung bei der OSZE (demo)",
        "Министерство иностранных дел (demo)",
        "Ambassade, section politique (demo)",
        "National rapporteur on trafficking (demo)",
    ],
    "partner_state": [
        "Mission of Japan to the international organisations in Vienna (demo)",
        "Embassy of Tunisia, Vienna (demo)",
        "Mission of Australia (demo)",
    ],
    "osce": [
        "Working at the OSCE Secretariat (demo)",
        "ODIHR human rights officer (demo)",
        "ОБСЕ, полевая миссия (demo)",
    ],
    "intl_org": [
        "UNODC anti-trafficking officer (demo)",
        "IOM migration programme (demo)",
        "ILO forced labour specialist (demo)",
        "Council of Europe, GRETA secretariat (demo)",
        "МОМ, программа защиты мигрантов (demo)",
    ],
    "civil_society": [
        "Anti-trafficking NGO, victim support (demo)",
        "Activist. Opinions my own (demo)",
        "ONG de protection des victimes (demo)",
        "Verein für Opferschutz (demo)",
        "общественная организация (demo)",
    ],
    "survivor": [
        "Survivor leader and advocate (demo)",
        "Überlebende, Aktivistin (demo)",
        "Survivor. Speaking so others are heard (demo)",
    ],
    "academia": [
        "Researcher on migration and exploitation (demo)",
        "Professor of law, University (demo)",
        "Forscherin, Institut für Menschenrechte (demo)",
        "исследователь, Университет (demo)",
    ],
    "media": [
        "Journalist covering human rights (demo)",
        "Korrespondentin in Wien (demo)",
        "журналист (demo)",
        "صحفية (demo)",
    ],
    "labour": [
        "Trade union officer, migrant workers (demo)",
        "Gewerkschaft, internationale Abteilung (demo)",
        "профсоюз (demo)",
    ],
    "business": [
        "Supply chain due diligence at a retail company (demo)",
        "CSR lead (demo)",
        "Unternehmen, Nachhaltigkeit (demo)",
    ],
    "frontline": ["Labour inspector (demo)", "Social worker with migrants (demo)", "Lehrerin (demo)", "врач (demo)"],
    "law_enforcement": ["Police officer, cybercrime unit (demo)", "Prosecutor (demo)", "Polizei, Ermittlerin (demo)"],
    "local": ["Municipality of a border town (demo)", "City council, social affairs (demo)", "belediye (demo)"],
    "faith_community": ["Caritas shelter network (demo)", "Faith-based outreach (demo)", "Kirche und Migration (demo)"],
    # Bios that no rule recognises: these authors stay unclassified until someone decides.
    "public": ["Coffee, books and human rights (demo)", "Views my own 🌍 (demo)", "Student. Vienna. (demo)", ""],
}

GROUP_WEIGHTS = {
    "government": 16,
    "partner_state": 3,
    "osce": 8,
    "intl_org": 9,
    "civil_society": 17,
    "survivor": 4,
    "academia": 8,
    "media": 7,
    "labour": 3,
    "business": 4,
    "frontline": 4,
    "law_enforcement": 4,
    "local": 2,
    "faith_community": 2,
    "public": 9,
}

# The demo's known accounts; data/stakeholder_directory.csv lists each (a test keeps them in step).
DIRECTORY_ACCOUNTS = [
    ("demo_osce_secretariat", "osce"),
    ("demo_odihr_news", "osce"),
    ("demo_osce_mission_kyiv", "osce"),
    ("demo_chairmanship_it", "government"),
    ("demo_pm_austria", "government"),
    ("demo_pm_germany", "government"),
    ("demo_pm_usa", "government"),
    ("demo_pm_ukraine", "government"),
    ("demo_pm_russia", "government"),
    ("demo_pm_france", "government"),
    ("demo_uk_antislavery", "government"),
    ("demo_partner_japan", "partner_state"),
    ("demo_partner_tunisia", "partner_state"),
    ("demo_partner_australia", "partner_state"),
    ("demo_unodc_ht", "intl_org"),
    ("demo_iom_vienna", "intl_org"),
    ("demo_ilo_forcedlabour", "intl_org"),
    ("demo_coe_greta", "intl_org"),
    ("demo_lastrada_net", "civil_society"),
    ("demo_antitrafficking_ngo", "civil_society"),
    ("demo_survivor_alliance", "survivor"),
    ("demo_space_intl", "survivor"),
    ("demo_univ_vienna_ht", "academia"),
    ("demo_thinktank_migration", "academia"),
    ("demo_newsdesk_vienna", "media"),
    ("demo_ituc_global", "labour"),
    ("demo_textile_union", "labour"),
    ("demo_retailer_csr", "business"),
    ("demo_hotel_assoc", "business"),
    ("demo_labour_inspectorate", "frontline"),
    ("demo_school_network", "frontline"),
    ("demo_cyber_police", "law_enforcement"),
    ("demo_prosecutors_net", "law_enforcement"),
    ("demo_city_vienna", "local"),
    ("demo_caritas_ht", "faith_community"),
]

DISMISS_REASONS = ["off topic", "duplicate", "offensive", "already answered"]

# -- the organiser's own channel ------------------------------------------------------------------

# The organiser's profile; the bio is the event's ``organiser`` line (or this fallback) plus "(demo)".
ORGANISER_NAME = "OSCE Combating Trafficking (demo)"
ORGANISER_BIO_FALLBACK = "The organiser's account"

# The languages the organiser posts in besides English (OSCE official languages the templates cover).
ORGANISER_LANGUAGES = ["fr", "de", "ru"]

# What the organiser posts. Placeholders: {event} (short name), {name} (the full name), {theme},
# {venue}, {dates}, {session} (a title), {short} (its part before the colon), {time} (local),
# {room}, {topic}, {who} (a mention), {quote}. The hashtags, when a post carries them, are appended.
ORGANISER_BEFORE = {
    "en": [
        "The {name} opens on {dates} at the {venue}. This year's theme: {theme}",
        "Who has a role in fighting trafficking? Teachers, doctors, labour inspectors, businesses, unions, "
        "municipalities and survivors. Join us in Vienna on {dates}",
        "Getting ready for {event}: two days on inclusive partnerships against trafficking in human beings",
        "Coming to {event}? Registration opens at 08:30 in the Hofburg foyer. Bring your questions on {topic}",
    ],
    "fr": ["La {name} s'ouvre le {dates} à Vienne : {theme}"],
    "de": ["Die {name} beginnt am {dates} in der Wiener Hofburg: {theme}"],
    "ru": ["{dates}: {name} в Вене. Тема: {theme}"],
}
ORGANISER_ANNOUNCE = {
    "en": [
        "Starting now{room}: {session}",
        "Coming up at {time}: {session}. Questions from the floor are welcome",
        "Next at {time}{room}: {session}. Send us your questions",
        "Join us live for {short} at {time}: {topic} and who else should be at the table",
        "{short} is about to start{room}. Everyone has a role — what is yours?",
    ],
    "fr": ["À {time}{room} : {session}", "{short} commence : {topic}"],
    "de": ["Um {time}{room}: {session}", "{short} beginnt gleich: {topic}"],
    "ru": ["В {time}: {session}", "{short} начинается: {topic}"],
}
ORGANISER_QUOTES = {
    "en": [
        "Partnerships work when roles are clear and trust is shared.",
        "The voices of victims must shape the policies meant to protect them.",
        "Teachers, doctors and labour inspectors are often the first to see the signs.",
        "No single agency can prevent, detect and disrupt trafficking on its own.",
        "Review your partnerships regularly: adapt them, widen them, bring in new actors.",
        "Businesses, trade unions and employers all have a role in clean supply chains.",
        "Cyber police and financial investigators belong at the anti-trafficking table.",
        "Local authorities see what national plans miss.",
    ],
    "fr": ["Chacun a un rôle : les partenariats ne fonctionnent que dans la confiance."],
    "de": ["Partnerschaft braucht klare Rollen und gegenseitiges Vertrauen."],
    "ru": ["Партнёрство работает, когда у каждого есть своя роль."],
}
ORGANISER_QUOTE = {
    "en": ['{short}: "{quote}" — {who}', '{short}, {who}: "{quote}"', '"{quote}" {who} at the {venue}'],
    "fr": ["« {quote} » — {who}, {short}"],
    "de": ["„{quote}“ — {who}, {short}"],
    "ru": ["«{quote}» — {who}, {short}"],
}
ORGANISER_THANKS = {
    "en": [
        "Thank you {who} for a clear message on {topic}",
        "{short}: thank you to every speaker for an honest discussion on {topic}",
        "Thank you for your questions from the floor and online. Keep them coming",
        "Thank you {who} for joining us at the {venue}",
    ],
    "fr": ["Merci {who} pour votre intervention sur {topic}"],
    "de": ["Danke {who} für den Beitrag zum Thema „{topic}“"],
    "ru": ["Спасибо {who} за выступление: {topic}"],
}
ORGANISER_AFTER = {
    "en": [
        "That's a wrap: thank you to everyone who joined the {name} in Vienna and online",
        "Thank you for two days of partnership. The recommendations on {topic} will follow",
        "Everyone has a role. Thank you to all who made {event} a conversation, not a lecture",
    ],
    "fr": ["Merci à toutes et à tous d'avoir participé à la {name}"],
    "de": ["Danke an alle, die bei der {name} dabei waren"],
    "ru": ["Спасибо всем участникам: {name}"],
}

# Participants addressing the organiser without the hashtag. {org} is the organiser's handle with its
# "@"; {topic} as above.
ADDRESSING_ORGANISER = {
    "en": [
        "{org} how will the recommendations on {topic} be followed up after the conference?",
        "{org} thank you for putting {topic} on the agenda",
        "{org} will the sessions be available to watch later?",
        "{org} is there a written summary of the discussion on {topic}?",
        "Thank you {org} for giving civil society a real seat at the table",
        "{org} could next year's Alliance look at {topic} in more depth?",
        "{org} how can smaller NGOs join the Alliance?",
    ],
    "ru": [
        "{org} как будут выполняться рекомендации по теме «{topic}»?",
        "{org} спасибо за то, что включили в повестку тему «{topic}»",
    ],
    "fr": [
        "{org} comment les recommandations sur {topic} seront-elles suivies ?",
        "Merci {org} pour ce débat sur {topic}",
    ],
    "de": [
        "{org} wie geht es nach der Konferenz mit dem Thema „{topic}“ weiter?",
        "Danke {org} für die Einladung zur Konferenz",
    ],
    "es": ["{org} ¿cómo se dará seguimiento a {topic}?", "Gracias {org} por incluir {topic} en la agenda"],
    "it": ["{org} come verranno seguite le raccomandazioni sul tema «{topic}»?", "Grazie {org} per questo dibattito"],
    "uk": ["{org} як будуть виконуватися рекомендації щодо теми «{topic}»?", "Дякую {org} за цю дискусію"],
    "tr": ["{org} {topic} konusundaki öneriler nasıl takip edilecek?", "Teşekkürler {org}, çok önemli bir tartışma"],
    "ar": ["{org} كيف ستتم متابعة التوصيات حول {topic}؟", "شكرا {org} على هذا النقاش"],
}

# Replies to the organiser's posts: the text the reply starts with "@handle " is put in front.
REPLYING_TO_ORGANISER = {
    "en": [
        "Thank you, a really useful session",
        "Will the slides from this session be shared?",
        "Agreed. Without {topic}, national plans stay on paper",
        "Could you share the recording?",
        "So important. When will the report be out?",
        "Great to see {who} on the panel",
        "What about {topic} in the countries of origin?",
    ],
    "ru": ["Спасибо, очень полезная сессия", "Будет ли запись этой сессии?"],
    "fr": ["Merci, une session très utile", "L'enregistrement sera-t-il disponible ?"],
    "de": ["Danke, eine sehr hilfreiche Sitzung", "Gibt es die Folien zum Nachlesen?"],
    "es": ["Gracias, una sesión muy útil"],
    "it": ["Grazie, una sessione molto utile"],
    "uk": ["Дякую, дуже корисна сесія"],
    "tr": ["Teşekkürler, çok faydalı bir oturum"],
    "ar": ["شكرا، جلسة مفيدة جدا"],
}

# -- Bluesky ----------------------------------------------------------------------------------------

# The known accounts that are on Bluesky too (the same organisations, accounts of their own: handles
# ``demo-…`` + ``.bsky.social``): more NGOs, researchers and survivors' groups than ministries, which
# is why Bluesky matters for this event.
BLUESKY_ACCOUNTS = [
    "demo_odihr_news",
    "demo_osce_secretariat",
    "demo_uk_antislavery",
    "demo_pm_germany",
    "demo_unodc_ht",
    "demo_iom_vienna",
    "demo_ilo_forcedlabour",
    "demo_coe_greta",
    "demo_lastrada_net",
    "demo_antitrafficking_ngo",
    "demo_survivor_alliance",
    "demo_space_intl",
    "demo_univ_vienna_ht",
    "demo_thinktank_migration",
    "demo_newsdesk_vienna",
    "demo_ituc_global",
    "demo_textile_union",
    "demo_school_network",
    "demo_city_vienna",
    "demo_caritas_ht",
]

# Participants' groups on Bluesky: GROUP_WEIGHTS with civil society and academia up, governments down.
BLUESKY_GROUP_WEIGHTS = {
    "government": 5,
    "partner_state": 1,
    "osce": 6,
    "intl_org": 9,
    "civil_society": 27,
    "survivor": 6,
    "academia": 17,
    "media": 8,
    "labour": 4,
    "business": 2,
    "frontline": 4,
    "law_enforcement": 2,
    "local": 2,
    "faith_community": 2,
    "public": 5,
}

# The word for each group in participants' Bluesky handles (``demo-ngo-7.bsky.social``).
BLUESKY_HANDLE_WORDS = {
    "government": "gov",
    "partner_state": "partner",
    "osce": "osce",
    "intl_org": "io",
    "civil_society": "ngo",
    "survivor": "survivor",
    "academia": "academic",
    "media": "media",
    "labour": "union",
    "business": "business",
    "frontline": "frontline",
    "law_enforcement": "police",
    "local": "city",
    "faith_community": "faith",
    "public": "public",
}

# What a Bluesky post's link card or image shows (links and images on the demo's hosts only).
BLUESKY_LINK_PATHS = ["report", "programme", "livestream", "recommendations", "summary"]
BLUESKY_IMAGE_ALT = "A panel on stage at the conference (demo image)"
