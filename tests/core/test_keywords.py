from bot.core.keywords import KeywordIndex

PASSAGES = [
    "Car mileage is paid at 52p per mile for the first 10,000 business miles.",
    "Electric vehicle charging points are in the County Hall car park.",
    "Annual leave is 26 days a year.",
]


def test_absent_counts_the_words_other_passages_have_but_this_one_lacks():
    index = KeywordIndex.build(PASSAGES)
    # "electric" is in the corpus, not in the mileage passage: the detail asked about is missing
    assert index.absent("What is the mileage rate for an electric car?", PASSAGES[0]) == 1
    assert index.absent("What is the mileage rate for a car?", PASSAGES[0]) == 0
    # a word no passage has is "unseen", not "absent": the decision weighs the two separately
    assert index.absent("What is the mileage rate for a tandem?", PASSAGES[0]) == 0
    assert index.unseen("What is the mileage rate for a tandem?") > 0
