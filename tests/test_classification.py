"""Stakeholder groups: moderator > directory > rules > unclassified, and reclassification in place."""

from sqlmodel import select

from engagement.collection.jsonl import import_files
from engagement.rules.classification import Classifier, reclassify, set_override
from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import Author, Post

from .helpers import real_data

classifier = Classifier(
    directory=[("Known_NGO", "Known NGO", "civil_society", None), ("", "By id", "media", "777")],
    keywords=[
        ("survivor", "survivor"),
        ("IOM", "intl_org"),
        ("профсоюз", "labour"),
        ("Ministry", "government"),
        ("NGO", "civil_society"),
    ],
)


def test_the_order_is_moderator_then_directory_then_rules_then_unclassified():
    bio = "Ministry official"
    assert classifier.classify(handle="known_ngo", bio=bio, override_group_key="media") == (
        "media",
        "moderator",
        "Known NGO",
    )
    assert classifier.classify(handle="@KNOWN_NGO", bio=bio) == ("civil_society", "directory", "Known NGO")
    assert classifier.classify(handle="x", platform_user_id="777") == ("media", "directory", "By id")
    assert classifier.classify(handle="other", bio=bio) == ("government", "rule", None)
    assert classifier.classify(handle="other", bio="Coffee and books") == ("public", "unclassified", None)
    assert classifier.classify(handle=None) == ("public", "unclassified", None)


def test_rules_try_the_display_name_before_the_bio_and_keep_file_order():
    # The bio says Ministry, the name says survivor: the name wins.
    assert classifier.classify(handle="a", display_name="Survivor voice", bio="Ministry").group_key == "survivor"
    # Both keywords in one text: the first rule in the file wins.
    assert classifier.classify(handle="a", bio="NGO working with the Ministry").group_key == "government"


def test_acronyms_match_whole_words_with_their_case():
    assert classifier.classify(handle="a", bio="IOM Vienna").group_key == "intl_org"
    assert classifier.classify(handle="a", bio="biomedical research, iom-free").group_key == "public"
    assert classifier.classify(handle="a", bio="Works at (IOM).").group_key == "intl_org"


def test_words_match_at_the_start_of_inflected_forms():
    assert classifier.classify(handle="a", bio="Председатель профсоюза").group_key == "labour"
    assert classifier.classify(handle="a", bio="Survivors' network").group_key == "survivor"
    assert classifier.classify(handle="a", bio="nonsurvivor").group_key == "public"


def test_a_keyword_matches_beyond_ascii_as_its_pattern_does():
    # re's case-insensitive matching takes "İ" and "ı" for i, "ſ" for s and the Kelvin sign for k;
    # the test that passes a text over before the pattern runs must find the keyword there too.
    rules = Classifier(keywords=[("kiss", "a"), ("ministry", "b")])
    assert rules.classify(handle="x", bio="KİSS Ankara").group_key == "a"
    assert rules.classify(handle="x", bio="Kıss — Ankara").group_key == "a"
    assert rules.classify(handle="x", bio="\u212aiſs, Straße").group_key == "a"
    assert rules.classify(handle="x", bio="Ministrу (Cyrillic у)").group_key == "public"
    assert rules.classify(handle="x", bio="Ministry of Justice — Österreich").group_key == "b"


def _group_of(url, handle):
    with db.reading(url) as session:
        author = session.exec(select(Author).where(Author.handle == handle)).one()
        return author.group_key, author.group_source


def test_a_directory_change_reclassifies_stored_authors_without_reingesting(db_url, event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        posts_before = session.exec(select(Post.id, Post.last_updated)).all()
    assert _group_of(db_url, "BorisJohnson") == ("government", "rule")  # "Prime Minister" in the bio
    assert _group_of(db_url, "WarmongerHodges") == ("public", "unclassified")

    with (event_dir / "stakeholder_directory.csv").open("a", encoding="utf-8") as handle:
        handle.write("account,WarmongerHodges,Demo outlet,media,,\n")
        handle.write("account,borisjohnson,UK Government,government,,\n")
    with db.writing(db_url) as session:
        result = sync_event(session, event_dir)

    assert result.authors_reclassified == 2
    assert _group_of(db_url, "WarmongerHodges") == ("media", "directory")
    assert _group_of(db_url, "BorisJohnson") == ("government", "directory")
    with db.reading(db_url) as session:
        assert session.exec(select(Post.id, Post.last_updated)).all() == posts_before  # no post rewritten


def test_a_moderator_override_wins_and_survives_reclassification(db_url):
    import_files([real_data("brexit.jsonl")], url=db_url, progress=False)
    with db.writing(db_url) as session:
        author = session.exec(select(Author).where(Author.handle == "BorisJohnson")).one()
        set_override(session, author.id, "public", "Private capacity")
    assert _group_of(db_url, "BorisJohnson") == ("public", "moderator")
    with db.writing(db_url) as session:
        assert reclassify(session) == 0
    assert _group_of(db_url, "BorisJohnson") == ("public", "moderator")
    with db.writing(db_url) as session:
        author = session.exec(select(Author).where(Author.handle == "BorisJohnson")).one()
        set_override(session, author.id, None)
    assert _group_of(db_url, "BorisJohnson") == ("government", "rule")


networks = Classifier(
    directory=[
        ("unodc.org", "UNODC", "intl_org", None),  # a Bluesky domain handle
        ("unodc", "UNODC on X", "intl_org", None),  # an X handle
        ("ngo-friend.bsky.social", "A friendly NGO", "civil_society", None),  # a handle on a shared host
        ("@EU_Commission@ec.social-network.europa.eu", "European Commission", "intl_org", None),  # Mastodon
        ("", "By DID", "media", "did:plc:known"),
        ("", "By X id", "academia", "777"),
    ],
    keywords=[("Ministry", "government")],
)


def test_a_domain_handle_names_its_organisation_and_every_handle_under_it():
    assert networks.classify(handle="unodc.org") == ("intl_org", "directory", "UNODC")
    assert networks.classify(handle="Vienna.UNODC.org", platform="bluesky") == ("intl_org", "directory", "UNODC")
    assert networks.classify(handle="a.b.unodc.org") == ("intl_org", "directory", "UNODC")
    # Not a handle under the domain: another domain that ends alike, or carries it inside.
    assert networks.classify(handle="fakeunodc.org").source == "unclassified"
    assert networks.classify(handle="unodc.org.example.com").source == "unclassified"
    # On a shared host a row names that one handle, not handles under it.
    assert networks.classify(handle="ngo-friend.bsky.social").source == "directory"
    assert networks.classify(handle="x.ngo-friend.bsky.social").source == "unclassified"
    # The keyword rules apply on every network, as for X.
    assert networks.classify(handle="someone.bsky.social", bio="Ministry of Justice") == ("government", "rule", None)


def test_directory_rows_name_accounts_on_their_own_network_only():
    assert networks.classify(handle="unodc") == ("intl_org", "directory", "UNODC on X")
    assert networks.classify(handle="unodc", platform="x").organisation == "UNODC on X"
    # An X row never names a Bluesky or Mastodon account of the same name, nor the other way round.
    assert networks.classify(handle="unodc.org", platform="x").source == "unclassified"
    assert networks.classify(handle="unodc@mastodon.social").source == "unclassified"
    mastodon = networks.classify(handle="eu_commission@EC.social-network.europa.eu", platform="mastodon")
    assert mastodon == ("intl_org", "directory", "European Commission")
    # Ids are looked up on their network: a DID on Bluesky, X's numeric id on X only.
    assert networks.classify(handle=None, platform_user_id="did:plc:known") == ("media", "directory", "By DID")
    assert networks.classify(handle="someone", platform_user_id="777").organisation == "By X id"
    assert networks.classify(handle=None, platform_user_id="777", platform="mastodon").source == "unclassified"


def test_stored_bluesky_authors_are_classified_by_their_domain_handles(db_url, event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    with db.writing(db_url) as session:
        sync_event(session, event_dir)
    import_files([real_data("twitwi_bluesky-posts.json", "bluesky")], url=db_url, progress=False)
    assert _group_of(db_url, "springer.springernature.com") == ("public", "unclassified")
    with (event_dir / "stakeholder_directory.csv").open("a", encoding="utf-8") as handle:
        handle.write("account,springernature.com,Springer Nature,media,,A publisher's domain\n")
        handle.write("account,up8.edu,Université Paris 8,academia,,A university's domain\n")
        handle.write("account,pfrazee,An X account of that name,media,,\n")
    with db.writing(db_url) as session:
        result = sync_event(session, event_dir)
    assert result.authors_reclassified >= 2
    assert _group_of(db_url, "springer.springernature.com") == ("media", "directory")
    assert _group_of(db_url, "cgt.up8.edu") == ("academia", "directory")
    assert _group_of(db_url, "pfrazee.com")[1] != "directory"  # the X row names an X account only
    with db.reading(db_url) as session:
        springer = session.exec(select(Author).where(Author.handle == "springer.springernature.com")).one()
    assert (springer.platform, springer.organisation) == ("bluesky", "Springer Nature")


def test_an_override_is_for_one_author_on_one_network(db_url):
    with db.writing(db_url) as session:
        sync_event(session)
        on_x = Author(platform="x", platform_user_id="42", handle="unodc")
        on_bluesky = Author(platform="bluesky", platform_user_id="did:plc:unodcexample", handle="unodc.org")
        session.add_all([on_x, on_bluesky])
        session.flush()
        reclassify(session)
        set_override(session, on_bluesky.id, "media", "Overridden")
        ids = on_x.id, on_bluesky.id
    with db.reading(db_url) as session:
        x, bluesky = (session.get(Author, i) for i in ids)
        assert (bluesky.group_key, bluesky.group_source, bluesky.organisation) == ("media", "moderator", "Overridden")
        # The shipped directory names unodc.org on Bluesky; the X account of that name stays as it was.
        assert (x.group_key, x.group_source) == ("public", "unclassified")
    with db.writing(db_url) as session:
        assert reclassify(session) == 0
        set_override(session, ids[1], None)
    with db.reading(db_url) as session:
        assert session.get(Author, ids[1]).group_source == "directory"
        assert session.get(Author, ids[1]).organisation == "United Nations Office on Drugs and Crime"
