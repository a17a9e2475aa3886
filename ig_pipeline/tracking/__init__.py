"""Competitor and hashtag tracking: tracked lists, the hashtag search budget, pure row transforms."""
