"""Session Q&A: participants ask and upvote, moderators run the queue, the projector shows one question.

Each module holds one idea: ``states`` (the moderation state machine), ``asking`` (what participants
do), ``moderation`` (what moderators do, every action audited), ``listing`` (what the pages read),
``limits``, ``blocklist``, ``language``, ``similar`` and ``privacy``.
"""
