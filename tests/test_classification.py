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
