"""What each wallet speaks, built on the crypto core; no click, rich or filesystem."""
