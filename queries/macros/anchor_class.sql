-- anchor_class: what kind of anchor a backlink has, by rules anyone can check.
--
-- anchor_class(anchor_text, kind, target_domain) -> varchar; null for
-- canonical and redirect records, which have no anchor. The first rule that
-- applies gives the class:
--
--   image      an image link (kind image; its text is the images' alt)
--   empty      no letters or digits in the text
--   naked_url  the text is a URL (with http:// or https://, or starting with www.),
--              or a host name of the target domain (example.com, shop.example.com/offers)
--   branded    the text contains the target's brand, the first label of its
--              registered domain, as whole words in any case, its hyphens read
--              as spaces or removed (my-shop.co.uk: "My Shop", "MyShop", "my-shop")
--   generic    the text is one of the generic phrases (generic_anchors, from
--              linkindex/data/generic_anchors.txt: click here, read more, hier, ici...)
--   keyword    everything else: text that describes the page linked to
--
-- A target whose domain is an IP address has no brand. Punycode labels
-- (xn--...) are compared as written, so a brand in its Unicode form is not
-- recognised.
--
-- Everything but the target and brand checks depends on the text alone. A
-- table with many (target, text) pairs over few distinct texts computes
-- those parts once per text with the anchor_* macros below, then calls
-- anchor_class_of() per pair: the regular expressions then run once per
-- text, not once per pair. anchor_class() is the two in one call.

-- the text as a word list: lower case, runs of anything but letters and digits as one space
-- (anchor_words(), queries/macros/anchor_words.sql); '' when the text is empty

-- a URL written out: with http:// or https://, or starting with www.
create or replace macro anchor_is_url(anchor_text) as
    regexp_full_match(trim(lower(anchor_text)), '(https?://|www\.)\S+');

-- the host a text names when it reads as a host name (shop.example.com, example.com/offers), lower case and
-- without a final dot; null for any other text
create or replace macro anchor_host(anchor_text) as
    case
        when regexp_full_match(trim(lower(anchor_text)), '([\p{L}\p{N}-]+\.)*[\p{L}\p{N}-]+\.?([/?#]\S*)?')
            then regexp_extract(trim(lower(anchor_text)), '^[^/?#]+').rtrim('.')
    end;

-- the text's words (anchor_words()) are one of the generic phrases
create or replace macro anchor_is_generic(text_words) as
    exists (select 1 from generic_anchors where generic_anchors.words = text_words);

-- the class, from the text's parts above and the link's kind and target
create or replace macro anchor_class_of(words, is_url, text_host, is_generic, kind, target_domain) as
    case
        when kind not in ('anchor', 'image', 'area') then null
        when kind = 'image' then 'image'
        when words = '' then 'empty'
        when is_url or text_host = target_domain or ends_with(text_host, '.' || target_domain) then 'naked_url'
        when not regexp_full_match(target_domain, '[0-9.]+|\[.*\]')
            and (
                contains(' ' || words || ' ', ' ' || replace(split_part(target_domain, '.', 1), '-', ' ') || ' ')
                or contains(' ' || words || ' ', ' ' || replace(split_part(target_domain, '.', 1), '-', '') || ' ')
            )
            then 'branded'
        when is_generic then 'generic'
        else 'keyword'
    end;

create or replace macro anchor_class(anchor_text, kind, target_domain) as
    anchor_class_of(
        anchor_words(anchor_text),
        anchor_is_url(anchor_text),
        anchor_host(anchor_text),
        anchor_is_generic(anchor_words(anchor_text)),
        kind,
        target_domain
    );
