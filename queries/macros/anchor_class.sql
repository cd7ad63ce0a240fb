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

create or replace macro anchor_class(anchor_text, kind, target_domain) as
    case
        when kind not in ('anchor', 'image', 'area') then null
        when kind = 'image' then 'image'
        when anchor_words(anchor_text) = '' then 'empty'
        when regexp_full_match(trim(lower(anchor_text)), '(https?://|www\.)\S+')
            or (
                regexp_full_match(trim(lower(anchor_text)), '([\p{L}\p{N}-]+\.)*[\p{L}\p{N}-]+\.?([/?#]\S*)?')
                and (
                    regexp_extract(trim(lower(anchor_text)), '^[^/?#]+').rtrim('.') = target_domain
                    or ends_with(regexp_extract(trim(lower(anchor_text)), '^[^/?#]+').rtrim('.'), '.' || target_domain)
                )
            )
            then 'naked_url'
        when not regexp_full_match(target_domain, '[0-9.]+|\[.*\]')
            and (
                contains(
                    ' ' || anchor_words(anchor_text) || ' ',
                    ' ' || replace(split_part(target_domain, '.', 1), '-', ' ') || ' '
                )
                or contains(
                    ' ' || anchor_words(anchor_text) || ' ',
                    ' ' || replace(split_part(target_domain, '.', 1), '-', '') || ' '
                )
            )
            then 'branded'
        when exists (select 1 from generic_anchors where generic_anchors.words = anchor_words(anchor_text))
            then 'generic'
        else 'keyword'
    end
