-- anchor_words: a text as the words it is made of, for comparing anchors.
--
-- anchor_words(text) -> varchar: lowercased, every run of characters that
-- are not letters or digits made one space, trimmed. "» Read MORE…" and
-- "read more" are both 'read more'; an anchor without letters or digits is ''.

create or replace macro anchor_words(text) as
    trim(regexp_replace(lower(text), '[^\p{L}\p{N}]+', ' ', 'g'))
