"""A relevance test set for search: realistic queries against a fixed fixture of listings.

`LISTINGS` is a fixed catalogue of 50 listings around Bolton, written the way small providers
write them: generic words ("support", "care", "help") everywhere, near-duplicates (two lunch
clubs, two gardeners, two dog walkers) and distractors that share words with a query without
being what the person wants (garden centre trips for "gardener", children's swimming lessons
for "someone to take mum swimming", a kids' art club for "art classes").

`QUERIES` are what people type, each with the listings a careful person would expect to see
on the first screen: every title in `relevant` must be among the first five results. The
judgements were made from the listings' text, before looking at what any backend returns.

`evaluate(backend_name)` builds the fixture, indexes it and runs every query along the same
path as the search page (parse_query -> locate -> backend.search). It needs Django set up and
a migrated database, and does not depend on pytest; the benchmark calls it on a fresh
database, the test suite inside a transaction it rolls back.

The fixture is built with tests.factories (make_listing, ProviderFactory, make_check), so the
listings are real published pages built exactly as the contract tests build theirs; bench/
therefore needs the tests package importable (it is, from the project root).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone

DEFAULT_NEAR = "BL3"
TOP_N = 5
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def weekday_slots(*parts: str) -> list[str]:
    """Availability slot names for Monday to Friday, in the given parts of the day."""
    return [f"{day}-{part}" for day in WEEKDAYS for part in parts]


# --- the catalogue -----------------------------------------------------------------------

LISTINGS = [
    # Swimming: a one-to-one buddy, and children's lessons that share the word.
    {
        "title": "Swimming buddy",
        "provider": "Jan's Swim Pals",
        "summary": "A friendly swimming buddy who goes with you to the pool and helps in the changing rooms.",
        "description": (
            "<p>I'm Jan, a former lifeguard, and I offer one-to-one support for adults who would love "
            "to get back in the water but need a bit of help to do it. I can meet you at home, travel "
            "with you to Bolton One or Farnworth leisure centre, help with getting changed and stay "
            "alongside you in the pool. Many of the people I support are older or have a physical "
            "disability, and some just need the confidence. Family carers often tell me it's the "
            "highlight of their mum or dad's week.</p>"
        ),
        "outcomes": ["get-out-and-about", "wellbeing-stay-well-in-body-and-mind"],
        "categories": ["exercise-sport-and-swimming"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "languages": ["en"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 1800,
        "unit": "hour",
        "slots": ["mon-morning", "wed-morning", "fri-afternoon"],
        "verified": True,
    },
    {
        "title": "Little Splashers swimming lessons",
        "provider": "Little Splashers Swim School",
        "summary": "Small-group swimming lessons for children aged 4 to 11, taught by qualified instructors.",
        "description": (
            "<p>Little Splashers runs friendly swimming lessons for children in small groups of no "
            "more than six, at the Great Lever community pool. Our qualified teachers help nervous "
            "beginners build confidence and support stronger swimmers to work towards their badges. "
            "Parents can watch from the balcony. We also offer one-to-one lessons for children with "
            "additional needs. Lessons run after school and on Saturday mornings during term "
            "time.</p>"
        ),
        "outcomes": ["look-after-my-children"],
        "categories": ["exercise-sport-and-swimming"],
        "base_postcode": "BL3",
        "radius": 0,
        "price_pence": 700,
        "unit": "session",
        "slots": ["tue-afternoon", "thu-afternoon", "sat-morning"],
    },
    # Gardens: two gardeners who reach BL3, one who does not, and two garden distractors.
    {
        "title": "Green Fingers gardening",
        "provider": "Green Fingers Garden Care",
        "summary": "A reliable local gardener for lawns, hedges, weeding and seasonal tidy-ups.",
        "description": (
            "<p>I'm Dave, a self-employed gardener with fifteen years' experience. I help older and "
            "disabled people keep their gardens tidy and safe: mowing lawns, cutting hedges, weeding "
            "borders, clearing leaves and taking green waste away. Regular fortnightly visits or "
            "one-off tidy-ups before summer. I'm happy to work around your routine and will always "
            "have a chat and a cuppa. A tidy garden can make a real difference to how you feel about "
            "your home.</p>"
        ),
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "audiences": ["older-people"],
        "base_postcode": "BL4",
        "radius": 6,
        "price_pence": 2000,
        "unit": "hour",
        "slots": ["tue-morning", "thu-morning", "sat-morning"],
    },
    {
        "title": "Hedges and lawns, Breightmet",
        "provider": "Breightmet Lawn and Hedge",
        "summary": "Lawn mowing, hedge trimming and garden clearance for homes in Breightmet and Tonge Moor.",
        "description": (
            "<p>Family-run garden maintenance covering BL2 and nearby. We cut lawns from spring to "
            "autumn, trim hedges, jet-wash paths and clear overgrown gardens. We work with lots of "
            "older customers and people who care for a relative, and we're used to working around "
            "carers' visits. Fair prices, no call-out charge, and we always clear up after "
            "ourselves. Regular customers get a reminder text the day before.</p>"
        ),
        "outcomes": ["keep-my-home", "carer-keep-my-home-going-while-i-care"],
        "categories": ["gardening-and-home-help"],
        "audiences": ["older-people"],
        "base_postcode": "BL2",
        "radius": 5,
        "price_pence": 1800,
        "unit": "hour",
        "slots": ["mon-morning", "mon-afternoon", "wed-morning", "wed-afternoon"],
    },
    {
        "title": "Bury garden maintenance",
        "provider": "Elton Garden Services",
        "summary": "Garden maintenance in central Bury: lawns, hedges, borders and clearances.",
        "description": (
            "<p>Gardener and labourer team covering Bury town centre, Elton and Fishpool only. Lawn "
            "mowing, hedge cutting, pruning, weeding and garden clearances, with green waste "
            "removed. We're happy to work with older and disabled customers and can set up a "
            "regular visit so your garden never gets out of hand. Free quotes, and we're always "
            "glad to give advice.</p>"
        ),
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "base_postcode": "BL9",
        "radius": 3,
        "price_pence": 1900,
        "unit": "hour",
        "slots": ["thu-morning", "fri-morning"],
    },
    {
        "title": "Garden centre trips",
        "provider": "Out and About Minibus Club",
        "summary": "Monthly minibus trips to garden centres around Bolton, with tea and cake.",
        "description": (
            "<p>Fancy a browse among the plants and a pot of tea? Our accessible minibus picks you "
            "up from home and takes a small group to a different garden centre each month, from "
            "Bents to Barton Grange. Our drivers and volunteers help you on and off the bus and "
            "support anyone who uses a wheelchair or walking frame. It is a lovely day out and a "
            "chance to make new friends. Carers are welcome to come along free of charge.</p>"
        ),
        "outcomes": ["get-out-and-about", "see-friends-and-family", "wellbeing-do-things-i-enjoy"],
        "categories": ["trips-and-days-out"],
        "audiences": ["older-people"],
        "base_postcode": "BL1",
        "radius": 8,
        "price_pence": 2500,
        "unit": "day",
        "slots": ["wed-morning", "wed-afternoon"],
    },
    {
        "title": "Smithills allotment club",
        "provider": "Smithills Growing Together",
        "summary": (
            "A friendly community gardening club on our allotment: grow vegetables, learn and make friends."
        ),
        "description": (
            "<p>Our allotment club meets twice a week at Smithills. Come and grow vegetables and "
            "flowers alongside others, at your own pace, with raised beds for anyone who can't "
            "kneel. No experience needed: our volunteers share tips and tools. Many members come for "
            "the fresh air and the company as much as for the gardening. We welcome people with "
            "mental health needs and learning disabilities, and support workers are welcome to come "
            "along.</p>"
        ),
        "outcomes": ["wellbeing-do-things-i-enjoy", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities"],
        "audiences": ["people-with-mental-health-needs", "people-with-a-learning-disability"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 300,
        "unit": "session",
        "slots": ["tue-morning", "fri-morning"],
    },
    # Home: cleaners (one stale), a handyman, laundry.
    {
        "title": "Sparkle home cleaning",
        "provider": "Sparkle Home Help",
        "summary": "Friendly, reliable home cleaning and light housework, weekly or fortnightly.",
        "description": (
            "<p>Sparkle is a small team of two cleaners. We help people stay comfortable at home "
            "with regular cleaning: hoovering, dusting, kitchens and bathrooms, changing beds and "
            "putting a wash on. We are DBS checked and work with many older people and family carers "
            "who just can't keep on top of everything. We bring our own products, or use yours if "
            "you prefer. Same cleaner each week wherever we can.</p>"
        ),
        "outcomes": ["keep-my-home", "carer-keep-my-home-going-while-i-care"],
        "categories": ["gardening-and-home-help"],
        "audiences": ["older-people", "carers"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 1600,
        "unit": "hour",
        "slots": weekday_slots("morning"),
        "verified": True,
    },
    {
        "title": "Little Lever home cleaning",
        "provider": "Mandy's Cleaning",
        "summary": "Domestic cleaning and ironing in Little Lever and Farnworth.",
        "description": (
            "<p>Reliable domestic cleaner with ten years' experience, offering regular weekly or "
            "fortnightly cleans for older people and busy families. Kitchens, bathrooms, hoovering "
            "and dusting, plus ironing if you need it. Own products and equipment. References "
            "available on request, and I'm happy to pop round for a chat first.</p>"
        ),
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "base_postcode": "BL3",
        "radius": 3,
        "price_pence": 1500,
        "unit": "hour",
        "slots": ["tue-afternoon", "thu-afternoon"],
        "stale": True,
    },
    {
        "title": "Handy Harry odd jobs",
        "provider": "Handy Harry",
        "summary": "Odd jobs, small repairs and grab rails fitted by a patient, local handyman.",
        "description": (
            "<p>Retired joiner offering help with the little jobs that make a home safer and "
            "easier: fitting grab rails and key safes, changing light bulbs and smoke alarm "
            "batteries, putting up shelves, bleeding radiators and fixing dripping taps. Lots of my "
            "customers are older people living alone, and their families like knowing someone "
            "trustworthy is popping in. No job too small, and I'll never rush you.</p>"
        ),
        "outcomes": ["keep-my-home", "be-safe-at-home"],
        "categories": ["gardening-and-home-help"],
        "audiences": ["older-people"],
        "base_postcode": "BL1",
        "radius": 6,
        "price_pence": 2200,
        "unit": "hour",
        "slots": ["mon-morning", "tue-morning", "wed-morning", "thu-morning"],
    },
    {
        "title": "Fresh Press laundry and ironing",
        "provider": "Fresh Press",
        "summary": "Laundry and ironing collected from your door and returned within two days.",
        "description": (
            "<p>We collect your washing, launder and iron it, and bring it back folded and on "
            "hangers, usually within two days. We can also help with bedding and towels, and we "
            "label everything carefully. Ideal if getting clothes washed and dressed is a struggle, "
            "or if you care for someone and the washing piles up. Prices are per bag, and "
            "collection is free in Farnworth and Kearsley.</p>"
        ),
        "outcomes": ["get-dressed", "carer-keep-my-home-going-while-i-care"],
        "categories": ["gardening-and-home-help"],
        "base_postcode": "BL4",
        "radius": 4,
        "price_pence": 1200,
        "unit": "visit",
        "slots": ["mon-morning", "thu-morning"],
    },
    # Shopping.
    {
        "title": "Helping Hand shopping and errands",
        "provider": "Helping Hand Errands",
        "summary": "Weekly shopping, prescriptions and errands done for you, or with you.",
        "description": (
            "<p>Can't get to the shops? I'll do your weekly shop at the supermarket or local "
            "market, pick up prescriptions from the chemist, post letters and parcels and pay bills "
            "at the post office. If you'd like to come with me, I'll drive and help with the bags. "
            "I support older people, people recovering from hospital stays and carers who can't "
            "leave the house. Receipts and change always returned.</p>"
        ),
        "outcomes": ["get-out-and-about", "eat-well", "carer-use-local-services-while-i-care"],
        "categories": ["shopping-and-errands"],
        "audiences": ["older-people", "carers"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 1500,
        "unit": "hour",
        "slots": ["tue-morning", "fri-morning", "fri-afternoon"],
    },
    {
        "title": "Accompanied shopping trips",
        "provider": "Kearsley Companions",
        "summary": "Out to the shops together: accompanied shopping trips to town or the retail park.",
        "description": (
            "<p>Shopping is more fun with company. I'll pick you up, go round the shops with you at "
            "your pace, push the wheelchair or trolley, and help you carry everything in when we get "
            "home. Popular trips include Middlebrook retail park, Bolton market and the Trafford "
            "Centre. We can stop for lunch on the way. Ideal for anyone who has lost confidence "
            "getting out on their own.</p>"
        ),
        "outcomes": ["get-out-and-about", "wellbeing-do-things-i-enjoy"],
        "categories": ["shopping-and-errands", "trips-and-days-out"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "base_postcode": "BL4",
        "radius": 5,
        "price_pence": 1700,
        "unit": "hour",
        "slots": ["wed-morning", "wed-afternoon", "sat-morning"],
    },
    # Food: a dementia lunch club, two plain ones, meals delivered, cooking at home.
    {
        "title": "Memory Lane dementia lunch club",
        "provider": "Memory Lane Friends",
        "summary": "A warm, dementia-friendly lunch club: a hot two-course meal, music and good company.",
        "description": (
            "<p>Every Thursday we serve a freshly cooked two-course lunch in a calm, "
            "dementia-friendly room at Daubhill community centre. Our trained volunteers support "
            "people living with dementia or memory loss to eat well and enjoy themselves, with "
            "reminiscence, music and quizzes after the meal. Carers are welcome to stay and chat "
            "with other carers, or to take a couple of hours for themselves. Transport can be "
            "arranged.</p>"
        ),
        "outcomes": ["eat-well", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities", "meals-and-cooking"],
        "audiences": ["people-living-with-dementia", "older-people"],
        "base_postcode": "BL3",
        "radius": 0,
        "price_pence": 900,
        "unit": "meal",
        "slots": ["thu-morning", "thu-afternoon"],
    },
    {
        "title": "St Peter's lunch club",
        "provider": "St Peter's Church Hall",
        "summary": "A friendly weekly lunch club for older people in Halliwell: home-made food and a natter.",
        "description": (
            "<p>Our volunteers cook a home-made lunch every Tuesday, with a pudding and a cup of "
            "tea, for anyone over sixty who'd like some company. There's a raffle, a quiz once a "
            "month and plenty of chat. The hall is step-free and has an accessible toilet. We can "
            "help arrange a lift if you can't get here on your own. Come once and see if you like "
            "it: most people stay for years.</p>"
        ),
        "outcomes": ["eat-well", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities", "meals-and-cooking"],
        "audiences": ["older-people"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 500,
        "unit": "meal",
        "slots": ["tue-morning", "tue-afternoon"],
    },
    {
        "title": "Westhoughton lunch club",
        "provider": "Westhoughton Good Neighbours",
        "summary": "Lunch and company every Wednesday at the Westhoughton community hall.",
        "description": (
            "<p>A two-course lunch, a friendly welcome and a game of bingo afterwards. Our lunch "
            "club has been running for twenty years and is run entirely by volunteers from the "
            "town. Special diets catered for with notice. It's a great way to meet people if you "
            "live alone or have recently lost a partner. Members pay per meal and there's no need to "
            "book after your first visit.</p>"
        ),
        "outcomes": ["eat-well", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities", "meals-and-cooking"],
        "audiences": ["older-people"],
        "base_postcode": "BL5",
        "radius": 0,
        "price_pence": 600,
        "unit": "meal",
        "slots": ["wed-morning", "wed-afternoon"],
    },
    {
        "title": "Mrs B's home-cooked meals delivered",
        "provider": "Mrs B's Kitchen",
        "summary": "Hot, home-cooked meals delivered to your door, and frozen meals for the week.",
        "description": (
            "<p>Proper home cooking, delivered. We make traditional dinners like hotpot, fish pie "
            "and roast chicken, plus halal and vegetarian choices, and deliver them hot at "
            "lunchtime, or frozen in batches you can heat up in the microwave. We can cater for soft "
            "and diabetic diets. Our drivers have time for a quick chat and will let your family "
            "know if something doesn't seem right. Order by the week or the day.</p>"
        ),
        "outcomes": ["eat-well", "carer-eat-well-while-i-care"],
        "categories": ["meals-and-cooking"],
        "audiences": ["older-people"],
        "base_postcode": "BL3",
        "radius": 6,
        "price_pence": 650,
        "unit": "meal",
        "slots": weekday_slots("morning"),
    },
    {
        "title": "Kitchen Companion: cooking at home",
        "provider": "Kitchen Companion",
        "summary": "Cooking together in your own kitchen, or batch cooking healthy meals for the week ahead.",
        "description": (
            "<p>I'm a trained chef who now supports people to eat well at home. I can cook with "
            "you, so you keep your skills and independence, or cook for you: batch cooking a week's "
            "worth of healthy meals that you or your family carer can heat up. I'm happy to plan a "
            "menu around favourite foods, a diabetic diet or a small appetite, and I'll do the "
            "shopping for ingredients too.</p>"
        ),
        "outcomes": ["eat-well", "wellbeing-be-in-control-of-my-day"],
        "categories": ["meals-and-cooking"],
        "audiences": ["older-people"],
        "base_postcode": "BL2",
        "radius": 5,
        "price_pence": 1700,
        "unit": "hour",
        "slots": ["mon-afternoon", "wed-afternoon", "fri-afternoon"],
    },
    # Moving: walks, chair exercise, yoga.
    {
        "title": "Moss Bank Park walking group",
        "provider": "Bolton Health Walks",
        "summary": "Free, gentle health walks in Moss Bank Park every Tuesday, with a cuppa at the end.",
        "description": (
            "<p>Our friendly walks last about an hour and go at the pace of the slowest walker, on "
            "flat, surfaced paths. Trained walk leaders look after the group, and there are benches "
            "along the way. Walking is one of the best ways to stay well in body and mind, and it's "
            "a lovely way to meet people. Just turn up in comfortable shoes; no need to book.</p>"
        ),
        "outcomes": ["get-out-and-about", "wellbeing-stay-well-in-body-and-mind", "see-friends-and-family"],
        "categories": ["exercise-sport-and-swimming"],
        "audiences": ["older-people"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 0,
        "unit": "session",
        "slots": ["tue-morning"],
    },
    {
        "title": "Sit and Be Fit chair exercise",
        "provider": "Sit and Be Fit Bolton",
        "summary": (
            "Seated chair exercise classes to music for older adults and anyone with limited mobility."
        ),
        "description": (
            "<p>Our chair-based exercise classes help you build strength, balance and movement "
            "without needing to stand. Each 45-minute session is led by a qualified instructor, set "
            "to music from the fifties and sixties, and finishes with a cup of tea. Suitable for "
            "people with arthritis, after a stroke or a fall, or anyone who feels unsteady on their "
            "feet. Classes in Great Lever and Deane.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind", "be-safe-at-home"],
        "categories": ["exercise-sport-and-swimming"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "base_postcode": "BL3",
        "radius": 0,
        "price_pence": 400,
        "unit": "session",
        "slots": ["mon-afternoon", "thu-morning"],
    },
    {
        "title": "Gentle yoga for wellbeing",
        "provider": "Breathe Easy Yoga",
        "summary": "Gentle yoga and relaxation for beginners, older bodies and anyone feeling stressed.",
        "description": (
            "<p>Slow, gentle yoga with plenty of rest and breathing. Every pose can be adapted and "
            "chairs are provided for anyone who would rather stay seated. The last fifteen minutes "
            "are a guided relaxation, and many people tell us they sleep better afterwards. Small "
            "classes of eight in a quiet room above Farnworth library, with a lift. Mats "
            "provided.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind"],
        "categories": ["wellbeing-and-relaxation", "exercise-sport-and-swimming"],
        "audiences": ["people-with-mental-health-needs", "older-people"],
        "base_postcode": "BL4",
        "radius": 0,
        "price_pence": 600,
        "unit": "session",
        "slots": ["wed-evening", "sat-morning"],
    },
    # Pets: two dog walkers (one out of reach of BL3) and therapy-dog visits.
    {
        "title": "Paws for a Walk dog walker",
        "provider": "Paws for a Walk",
        "summary": "Dog walking and pet care when you can't get out with your dog yourself.",
        "description": (
            "<p>Your dog is part of the family, and a spell in hospital or a bad week with your "
            "health shouldn't mean they miss out. I'm a fully insured dog walker offering solo or "
            "small-group walks, feeding and litter trays for cats, and trips to the vet. I'll send "
            "you a photo after every walk. I've worked with lots of older owners and people with "
            "long-term conditions, and I'm happy to meet first for a chat.</p>"
        ),
        "outcomes": ["keep-my-home", "wellbeing-live-in-a-home-that-suits-me"],
        "categories": ["pets-and-animals"],
        "audiences": ["older-people"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 1200,
        "unit": "visit",
        "slots": weekday_slots("morning"),
    },
    {
        "title": "Horwich dog walks",
        "provider": "Rivington Rovers",
        "summary": "Friendly dog walker in Horwich and Blackrod, with walks up at Rivington.",
        "description": (
            "<p>I'm a local dog walker with a big van and a lot of patience. I take dogs out on "
            "group or solo walks up at Rivington and Lever Park, and I can pop in at lunchtime to "
            "let them out and feed them. I'm happy to help owners who are unwell, recovering from an "
            "operation or just can't manage long walks any more. Fully insured and first aid "
            "trained.</p>"
        ),
        "outcomes": ["keep-my-home"],
        "categories": ["pets-and-animals"],
        "base_postcode": "BL6",
        "radius": 3,
        "price_pence": 1300,
        "unit": "visit",
        "slots": ["mon-afternoon", "wed-afternoon", "fri-afternoon"],
    },
    {
        "title": "Therapy dog visits",
        "provider": "Waggy Tails Therapy Dogs",
        "summary": "Calm, friendly therapy dog visits to people at home and in care homes.",
        "description": (
            "<p>Our volunteers bring their assessed therapy dogs to visit people who miss having an "
            "animal around. A half-hour visit with a gentle dog can lift the mood, spark "
            "conversation and bring back happy memories, especially for people living with "
            "dementia. We visit homes, care homes and day centres across Bolton. All dogs are health "
            "checked and insured, and every volunteer is DBS checked.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind", "see-friends-and-family"],
        "categories": ["pets-and-animals", "companionship-and-sitting"],
        "audiences": ["people-living-with-dementia", "older-people"],
        "base_postcode": "BL1",
        "radius": 8,
        "price_pence": 0,
        "unit": "visit",
        "slots": ["mon-afternoon", "fri-afternoon"],
    },
    # Personal assistants, college and work.
    {
        "title": "Your own PA",
        "provider": "Flexible PA Services",
        "summary": "A flexible personal assistant for everyday life, paid with your direct payment.",
        "description": (
            "<p>I work as a self-employed personal assistant (PA) for adults who want support on "
            "their own terms. That might mean help to get out to the gym or the shops, to cook, to "
            "keep on top of letters and appointments, or to try something new. You choose what we do "
            "and when. I have five years' experience supporting people with learning disabilities "
            "and young adults moving on from school, and I'm happy to be paid through a direct "
            "payment or personal budget.</p>"
        ),
        "outcomes": ["wellbeing-be-in-control-of-my-day", "get-out-and-about"],
        "categories": ["personal-assistants"],
        "audiences": ["people-with-a-learning-disability", "young-adults"],
        "base_postcode": "BL3",
        "radius": 8,
        "price_pence": 1600,
        "unit": "hour",
        "slots": ["mon-evening", "tue-evening", "sat-afternoon", "sun-afternoon"],
        "verified": True,
    },
    {
        "title": "Calm Days PA support for autistic adults",
        "provider": "Calm Days Support",
        "summary": "Patient, autism-aware PA support for adults who want more independence.",
        "description": (
            "<p>I'm a PA with a background in special education and I mainly support autistic "
            "adults and people with Asperger's. I understand how important routine, clear plans and "
            "quiet spaces are. Together we can work on travel, cooking, managing money, or simply "
            "getting out to places you enjoy without the overwhelm. I'll always agree a plan with "
            "you first and explain any changes in advance.</p>"
        ),
        "outcomes": ["wellbeing-be-in-control-of-my-day", "work-learn-or-volunteer"],
        "categories": ["personal-assistants"],
        "audiences": ["autistic-people", "young-adults"],
        "base_postcode": "BL2",
        "radius": 6,
        "price_pence": 1700,
        "unit": "hour",
        "slots": ["tue-afternoon", "thu-afternoon", "sat-morning"],
    },
    {
        "title": "Next Steps college and travel support",
        "provider": "Next Steps Transitions",
        "summary": "Support for young adults to get to college, learn to travel independently and find work.",
        "description": (
            "<p>Next Steps supports young people aged 16 to 25 with a learning disability or autism "
            "as they move from school to college and adult life. Our support workers can travel "
            "with you to Bolton College or Bury College until you feel confident doing it alone, "
            "help you settle into lessons and meet new friends, and later help you look for "
            "volunteering or paid work. Travel training is planned around your timetable.</p>"
        ),
        "outcomes": ["work-learn-or-volunteer", "get-out-and-about"],
        "categories": ["learning-work-and-volunteering"],
        "audiences": ["young-adults", "people-with-a-learning-disability", "autistic-people"],
        "base_postcode": "BL1",
        "radius": 6,
        "price_pence": 1900,
        "unit": "hour",
        "slots": weekday_slots("morning"),
    },
    {
        "title": "Job coach and volunteering buddy",
        "provider": "Work Ready Bolton",
        "summary": "A job coach to help you find volunteering or paid work, and settle in once you start.",
        "description": (
            "<p>I help adults who have been out of work for a long time, or who have never had a "
            "job, to find something that suits them. We start with what you enjoy and are good at, "
            "then look for volunteering, work experience or paid jobs, write a CV together and "
            "practise interviews. Once you start, I can come with you for the first few weeks. I "
            "work with the Jobcentre and local employers.</p>"
        ),
        "outcomes": ["work-learn-or-volunteer", "wellbeing-give-something-back"],
        "categories": ["learning-work-and-volunteering"],
        "audiences": ["people-with-mental-health-needs", "people-with-a-learning-disability"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 2000,
        "unit": "hour",
        "slots": ["mon-afternoon", "wed-afternoon"],
    },
    # Breaks for carers: a sitting service, overnight care, a Saturday club, a pamper afternoon.
    {
        "title": "Evening sitting service",
        "provider": "Twilight Sitters",
        "summary": "A trusted sitter stays with your loved one so you can have an evening off.",
        "description": (
            "<p>Caring for someone is a full-time job, and everyone needs a night off. Our sitting "
            "service sends the same friendly, DBS-checked sitter each time to keep your loved one "
            "company at home while you go out, see friends or simply rest. We are experienced with "
            "dementia and Parkinson's and can help with a drink, a snack and getting ready for bed. "
            "Evenings from 5pm to 11pm.</p>"
        ),
        "outcomes": ["carer-a-break-for-my-carer", "see-friends-and-family"],
        "categories": ["companionship-and-sitting", "short-breaks-for-carers"],
        "audiences": ["carers", "people-living-with-dementia"],
        "base_postcode": "BL1",
        "radius": 6,
        "price_pence": 1700,
        "unit": "hour",
        "slots": ["mon-evening", "tue-evening", "wed-evening", "thu-evening", "fri-evening", "sat-evening"],
    },
    {
        "title": "Night Owls overnight care",
        "provider": "Night Owls Home Care",
        "summary": "Waking or sleeping nights at home, so family carers can get a proper night's sleep.",
        "description": (
            "<p>When you are up several times every night, exhaustion builds quickly. Night Owls "
            "provides overnight care at home from 10pm to 7am: a waking night for someone who needs "
            "help through the night, or a sleeping night where our carer is there if needed. It's "
            "respite that lets you sleep in your own bed while someone else listens out. We support "
            "older people, people with dementia and adults with complex needs.</p>"
        ),
        "outcomes": ["carer-a-break-for-my-carer", "be-safe-at-home"],
        "categories": ["short-breaks-for-carers", "personal-care"],
        "audiences": ["carers", "older-people"],
        "base_postcode": "BL3",
        "radius": 8,
        "price_pence": 14000,
        "unit": "night",
        "slots": [f"{day}-overnight" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
    },
    {
        "title": "Saturday Club short breaks",
        "provider": "Saturday Club Bolton",
        "summary": (
            "A Saturday day club for adults with learning disabilities that gives family carers a "
            "regular short break."
        ),
        "description": (
            "<p>Every Saturday from 10 till 4, our club offers a full day of activities: cooking, "
            "crafts, music, trips to the park and a hot lunch. Members have fun with friends while "
            "their families get a regular short break. Staff are trained in supporting people with "
            "learning disabilities, autism and epilepsy, and we can help with personal care. Places "
            "are limited, so please get in touch to arrange a taster visit.</p>"
        ),
        "outcomes": ["carer-a-break-for-my-carer", "wellbeing-do-things-i-enjoy"],
        "categories": ["short-breaks-for-carers", "clubs-and-day-activities"],
        "audiences": ["carers", "people-with-a-learning-disability"],
        "base_postcode": "BL4",
        "radius": 0,
        "price_pence": 6500,
        "unit": "day",
        "slots": ["sat-morning", "sat-afternoon"],
        "intake": "waiting_list",
    },
    {
        "title": "Carers' pamper afternoon",
        "provider": "Bolton Carers Wellbeing",
        "summary": "A relaxing pamper afternoon for unpaid carers: massage, a chat and time for yourself.",
        "description": (
            "<p>Once a month we invite unpaid carers to take an afternoon just for themselves. "
            "Enjoy a hand or shoulder massage, a relaxation session and tea with other people who "
            "understand what caring is like. Sitting for your loved one can be arranged through our "
            "partners so that you can come along. Free for carers living in Bolton, and no need to "
            "book your first visit.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind", "carer-keep-my-own-relationships-while-i-care"],
        "categories": ["wellbeing-and-relaxation"],
        "audiences": ["carers"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 0,
        "unit": "session",
        "slots": ["mon-afternoon"],
    },
    # Company: befriending at home and by phone, in Urdu/Punjabi and in BSL.
    {
        "title": "Urdu and Punjabi speaking companion",
        "provider": "Apna Saathi",
        "summary": (
            "Friendly home visits and a chat in Urdu, Punjabi or English for older people who feel alone."
        ),
        "description": (
            "<p>I visit older people at home for company, conversation and a cup of chai. We can "
            "talk about family, watch a drama together, go for a short walk or to the mosque, or I "
            "can help read letters and make phone calls. Many of the people I see came to Bolton "
            "decades ago and love to speak in their own language. Families tell me their parents are "
            "brighter after a visit.</p>"
        ),
        "outcomes": ["see-friends-and-family", "wellbeing-feel-connected-and-secure"],
        "categories": ["companionship-and-sitting"],
        "audiences": ["older-people"],
        "languages": ["ur", "pa", "en"],
        "base_postcode": "BL3",
        "radius": 5,
        "price_pence": 1400,
        "unit": "hour",
        "slots": ["mon-afternoon", "wed-afternoon", "sun-afternoon"],
    },
    {
        "title": "Cuppa and a Chat befriending",
        "provider": "Cuppa and a Chat",
        "summary": "Weekly befriending visits for older people who feel lonely or cut off.",
        "description": (
            "<p>Our volunteer befrienders visit once a week for an hour or two of company and "
            "conversation. Some people like a game of cards or a look through old photos, others "
            "want to get out for a coffee or a walk round the park. We carefully match each person "
            "with a befriender who shares their interests. There's no charge, and the support "
            "carries on for as long as you'd like it.</p>"
        ),
        "outcomes": ["see-friends-and-family", "wellbeing-feel-connected-and-secure"],
        "categories": ["companionship-and-sitting"],
        "audiences": ["older-people"],
        "base_postcode": "BL2",
        "radius": 6,
        "price_pence": 0,
        "unit": "visit",
        "slots": ["tue-afternoon", "thu-afternoon"],
    },
    {
        "title": "Ring and Natter telephone friends",
        "provider": "Ring and Natter",
        "summary": (
            "A friendly phone call at the same time each week, from a volunteer who looks forward to it."
        ),
        "description": (
            "<p>Not everyone wants a visitor, but most of us enjoy a good natter. Ring and Natter "
            "matches you with a volunteer who phones at a time that suits you, for a chat about "
            "anything from the football to the grandchildren. It's ideal if you live alone, feel "
            "isolated or find it hard to get out. Calls are free and we can also arrange group "
            "calls.</p>"
        ),
        "outcomes": ["see-friends-and-family"],
        "categories": ["companionship-and-sitting"],
        "audiences": ["older-people"],
        "base_postcode": "BL7",
        "radius": 20,
        "price_pence": 0,
        "unit": "session",
        "slots": ["mon-morning", "wed-morning", "fri-morning", "sun-afternoon"],
    },
    {
        "title": "BSL-signing companion",
        "provider": "Hands Together",
        "summary": "A companion fluent in British Sign Language for outings, appointments and company.",
        "description": (
            "<p>I'm a hearing child of Deaf parents and have used British Sign Language all my "
            "life. I offer companionship and support for Deaf and deafblind adults: coffee and a "
            "catch-up, trips to the shops or the pictures, or help at appointments where an "
            "interpreter hasn't been booked. I'm not a registered interpreter, but I can help make "
            "everyday life more accessible.</p>"
        ),
        "outcomes": ["see-friends-and-family", "get-out-and-about"],
        "categories": ["companionship-and-sitting"],
        "audiences": ["deaf-and-hard-of-hearing-people"],
        "languages": ["bfi", "en"],
        "base_postcode": "BL3",
        "radius": 6,
        "price_pence": 1600,
        "unit": "hour",
        "slots": ["tue-morning", "thu-morning", "sat-afternoon"],
    },
    # Personal care.
    {
        "title": "Polish-speaking home care",
        "provider": "Pomoc Care",
        "summary": (
            "Personal care at home from a Polish-speaking carer: washing, dressing and medication prompts."
        ),
        "description": (
            "<p>I'm Kasia, an experienced carer working with a CQC-registered agency, and I speak "
            "Polish and English. I support people at home with personal care, washing and "
            "showering, getting dressed, meals and medication prompts, in a calm and respectful way. "
            "Many of my clients are Polish families in Farnworth and Kearsley who want care in their "
            "own language for a parent. I work mornings and evenings and can cover weekends.</p>"
        ),
        "outcomes": ["keep-clean-and-fresh", "get-dressed", "wellbeing-be-treated-with-dignity"],
        "categories": ["personal-care"],
        "audiences": ["older-people"],
        "languages": ["pl", "en"],
        "base_postcode": "BL4",
        "radius": 5,
        "price_pence": 2100,
        "unit": "hour",
        "slots": ["mon-morning", "mon-evening", "wed-morning", "wed-evening", "sat-morning", "sun-morning"],
    },
    {
        "title": "Rise and Shine morning care calls",
        "provider": "Rise and Shine Home Care",
        "summary": "Morning and bedtime care calls to help with washing, dressing, toileting and breakfast.",
        "description": (
            "<p>Our small, CQC-registered team provides personal care at home across Bolton. We help "
            "with getting up, washing or a shower, getting dressed, using the toilet, breakfast and "
            "medication, then come back in the evening to help you get ready for bed. We keep the "
            "same carers wherever possible so you know who's coming, and we always leave time for a "
            "chat. Care plans are agreed with you and your family.</p>"
        ),
        "outcomes": ["keep-clean-and-fresh", "get-dressed", "use-the-toilet", "eat-well"],
        "categories": ["personal-care"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "base_postcode": "BL3",
        "radius": 6,
        "price_pence": 2300,
        "unit": "hour",
        "slots": weekday_slots("morning", "evening"),
        "verified": True,
    },
    # Arts and clubs.
    {
        "title": "Brushstrokes adult art group",
        "provider": "Brushstrokes Studio",
        "summary": "Relaxed painting and drawing for adults, all abilities welcome.",
        "description": (
            "<p>Our weekly art classes are for adults who want to be creative without pressure. Try "
            "watercolour, acrylics, drawing or lino printing, with gentle tuition and all materials "
            "provided. Many people come to us to manage stress or low mood, and say the group has "
            "become a lifeline. The studio is on the ground floor, with a quiet corner if you need a "
            "break.</p>"
        ),
        "outcomes": ["wellbeing-do-things-i-enjoy", "wellbeing-stay-well-in-body-and-mind"],
        "categories": ["arts-crafts-and-music"],
        "audiences": ["people-with-mental-health-needs"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 800,
        "unit": "session",
        "slots": ["wed-afternoon", "sat-morning"],
    },
    {
        "title": "Little Picassos kids' art club",
        "provider": "Little Picassos",
        "summary": "Messy art and craft sessions for children aged 3 to 10 after school and in the holidays.",
        "description": (
            "<p>Little Picassos is an art club where children can paint, glue, model clay and make "
            "a glorious mess that isn't on your kitchen table. Our art classes follow a theme each "
            "week and every child takes something home. We welcome children with additional needs "
            "and can offer a quieter session for those who find busy rooms hard. Parents and carers "
            "can stay or drop off.</p>"
        ),
        "outcomes": ["look-after-my-children"],
        "categories": ["arts-crafts-and-music"],
        "base_postcode": "BL3",
        "radius": 0,
        "price_pence": 600,
        "unit": "session",
        "slots": ["tue-afternoon", "thu-afternoon", "sat-morning"],
    },
    {
        "title": "Singing for the memory",
        "provider": "Sing-along Memories",
        "summary": "A singing group for people living with dementia and their carers.",
        "description": (
            "<p>Music can reach people when words are hard to find. Our weekly singing group brings "
            "together people living with dementia or memory problems and the people who care for "
            "them, to sing well-loved songs from the shows, the war years and the sixties. No "
            "singing experience needed. There's tea and biscuits halfway through and time to chat "
            "with other families. Held in a quiet, dementia-friendly hall.</p>"
        ),
        "outcomes": ["wellbeing-do-things-i-enjoy", "see-friends-and-family"],
        "categories": ["arts-crafts-and-music", "clubs-and-day-activities"],
        "audiences": ["people-living-with-dementia", "carers"],
        "base_postcode": "BL3",
        "radius": 0,
        "price_pence": 300,
        "unit": "session",
        "slots": ["fri-afternoon"],
    },
    {
        "title": "Knit and Natter group",
        "provider": "Westhoughton Library Friends",
        "summary": "Bring your knitting or crochet and join us for a natter in Westhoughton library.",
        "description": (
            "<p>A relaxed group for anyone who likes to knit, crochet or sew, or would like to "
            "learn. Beginners are very welcome and we have spare needles and wool. We make blankets "
            "for the neonatal unit and hats for charity, but mostly we come for the company and the "
            "biscuits. The library is step-free with a hearing loop, and there's parking "
            "outside.</p>"
        ),
        "outcomes": ["see-friends-and-family", "wellbeing-do-things-i-enjoy"],
        "categories": ["arts-crafts-and-music", "clubs-and-day-activities"],
        "audiences": ["older-people"],
        "base_postcode": "BL5",
        "radius": 0,
        "price_pence": 200,
        "unit": "session",
        "slots": ["wed-afternoon"],
    },
    {
        "title": "Spectrum social club for autistic adults",
        "provider": "Spectrum Bolton",
        "summary": (
            "A calm, autism-friendly social club for adults: games, films and meeting people at your "
            "own pace."
        ),
        "description": (
            "<p>Spectrum is run by autistic adults, for autistic adults. We meet twice a month in a "
            "quiet room with low lighting and no loud music, for board games, films, gaming and "
            "chat. There's no pressure to talk, and you can take a break in our chill-out space "
            "whenever you want. Newcomers can visit beforehand to see the room and meet a volunteer. "
            "Support workers are welcome.</p>"
        ),
        "outcomes": ["see-friends-and-family", "wellbeing-feel-connected-and-secure"],
        "categories": ["clubs-and-day-activities"],
        "audiences": ["autistic-people", "young-adults"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 300,
        "unit": "session",
        "slots": ["fri-evening"],
    },
    {
        "title": "Horizons day service",
        "provider": "Horizons Horwich",
        "summary": (
            "Day opportunities for adults with learning disabilities: skills, activities and friendships."
        ),
        "description": (
            "<p>Horizons is a small day service in Horwich for adults with learning disabilities. "
            "Each day mixes practical skills, such as cooking, money and using the bus, with "
            "activities people choose: gardening, drama, swimming, computers and trips out. Our "
            "staff team knows everyone well, and we work with families and social workers on each "
            "person's goals. Transport is available from most of Bolton.</p>"
        ),
        "outcomes": ["wellbeing-do-things-i-enjoy", "work-learn-or-volunteer", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities"],
        "audiences": ["people-with-a-learning-disability"],
        "base_postcode": "BL6",
        "radius": 0,
        "price_pence": 5500,
        "unit": "day",
        "slots": weekday_slots("morning", "afternoon"),
    },
    # Getting about.
    {
        "title": "Ride Along appointment driver",
        "provider": "Ride Along Bolton",
        "summary": "Door-to-door lifts to hospital and GP appointments, with someone to wait with you.",
        "description": (
            "<p>Getting to appointments can be the hardest part. Our drivers pick you up at your "
            "door, help you in and out of the car, and come into the hospital, clinic or surgery "
            "with you if you'd like, waiting until you're done. We go to the Royal Bolton, Salford "
            "Royal and local GP surgeries, and can fit a folding wheelchair in the boot. Book at "
            "least two days ahead.</p>"
        ),
        "outcomes": ["get-out-and-about", "carer-use-local-services-while-i-care"],
        "categories": ["trips-and-days-out"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "base_postcode": "BL3",
        "radius": 10,
        "price_pence": 1500,
        "unit": "hour",
        "slots": weekday_slots("morning"),
    },
    {
        "title": "Seaside and Lakes days out",
        "provider": "Westhoughton Wanderers Trips",
        "summary": "Accessible coach days out to Blackpool, Southport, Lytham and the Lake District.",
        "description": (
            "<p>Join us for a proper day out! Our accessible coach has a wheelchair lift and our "
            "escorts help everyone on and off and around for the day. Trips run every other "
            "Saturday from spring to autumn: fish and chips in Blackpool, Southport pier, a boat "
            "ride on Windermere. Friends and carers are welcome to come too. Pick-ups from "
            "Westhoughton, Bolton and Farnworth.</p>"
        ),
        "outcomes": ["get-out-and-about", "wellbeing-do-things-i-enjoy"],
        "categories": ["trips-and-days-out"],
        "audiences": ["older-people", "people-with-a-physical-disability"],
        "base_postcode": "BL5",
        "radius": 10,
        "price_pence": 4500,
        "unit": "day",
        "slots": ["sat-morning", "sat-afternoon"],
    },
    # Wellbeing.
    {
        "title": "Calm Minds peer support group",
        "provider": "Calm Minds Bolton",
        "summary": "A friendly peer support group for people living with anxiety or depression.",
        "description": (
            "<p>Calm Minds is a peer group led by people with lived experience of anxiety and "
            "depression. We meet weekly in a relaxed room for a hot drink, a talk about how the week "
            "has gone and practical coping tips such as breathing exercises and mindfulness. You "
            "don't have to talk until you're ready. We also run a walking group once a month. Drop "
            "in, no referral needed.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind", "wellbeing-feel-connected-and-secure"],
        "categories": ["wellbeing-and-relaxation"],
        "audiences": ["people-with-mental-health-needs"],
        "base_postcode": "BL1",
        "radius": 0,
        "price_pence": 0,
        "unit": "session",
        "slots": ["thu-evening"],
    },
    {
        "title": "Hand and foot massage at home",
        "provider": "Soothe Mobile Therapies",
        "summary": "Relaxing hand, foot and shoulder massage in your own home, for older people and carers.",
        "description": (
            "<p>A gentle massage can ease aches, help you sleep and simply feel lovely. I'm a "
            "qualified holistic therapist and visit people at home who can't easily get to a salon, "
            "including people receiving end-of-life care and family carers who need some time for "
            "themselves. Treatments are adapted for frail skin, swollen ankles and limited mobility, "
            "and I use unscented oils on request.</p>"
        ),
        "outcomes": ["wellbeing-stay-well-in-body-and-mind"],
        "categories": ["wellbeing-and-relaxation"],
        "audiences": ["older-people", "carers"],
        "base_postcode": "BL2",
        "radius": 5,
        "price_pence": 3000,
        "unit": "visit",
        "slots": ["tue-afternoon", "thu-afternoon", "sat-afternoon"],
    },
    # Parents.
    {
        "title": "School run helper",
        "provider": "School Run Helpers",
        "summary": (
            "Help for disabled parents and parent carers with the school run and after-school routine."
        ),
        "description": (
            "<p>If your health makes mornings hard, I can help get the children up, dressed, fed and "
            "walked to school, and collect them in the afternoon. I can also help with tea and "
            "homework while you rest. I support parents with a disability or long-term illness, and "
            "parent carers who have another child with complex needs. DBS checked, with paediatric "
            "first aid.</p>"
        ),
        "outcomes": ["look-after-my-children", "carer-look-after-my-children-as-well"],
        "categories": [],
        "audiences": ["people-with-a-physical-disability", "carers"],
        "base_postcode": "BL3",
        "radius": 4,
        "price_pence": 1500,
        "unit": "hour",
        "slots": weekday_slots("morning", "afternoon"),
    },
]

# --- the queries -------------------------------------------------------------------------
# q: what the person types; near (default BL3) and radius: where; filters: other parameters
# of the search page; relevant: titles that must be among the first five results.

RESPITE = ["Evening sitting service", "Night Owls overnight care", "Saturday Club short breaks"]
SHOPPING = ["Helping Hand shopping and errands", "Accompanied shopping trips"]
GARDENERS = ["Green Fingers gardening", "Hedges and lawns, Breightmet"]
PAS = ["Your own PA", "Calm Days PA support for autistic adults"]
BEFRIENDING = ["Cuppa and a Chat befriending", "Ring and Natter telephone friends"]
PERSONAL_CARE = ["Rise and Shine morning care calls", "Polish-speaking home care"]
DEMENTIA = ["Memory Lane dementia lunch club", "Singing for the memory"]

QUERIES = [
    {"q": "someone to take mum swimming", "relevant": ["Swimming buddy"]},
    {"q": "swimming lessons for kids", "relevant": ["Little Splashers swimming lessons"]},
    {
        "q": "swimming",
        "near": "Farnworth",
        "relevant": ["Swimming buddy", "Little Splashers swimming lessons"],
    },
    {"q": "help with shopping", "relevant": SHOPPING},
    {"q": "shoping", "relevant": SHOPPING},
    {"q": "prescription collection", "relevant": ["Helping Hand shopping and errands"]},
    {"q": "dementia friendly lunch club", "relevant": ["Memory Lane dementia lunch club"]},
    {
        "q": "lunch club",
        "relevant": ["Memory Lane dementia lunch club", "St Peter's lunch club", "Westhoughton lunch club"],
    },
    {"q": "lunch club", "near": "Westhoughton", "relevant": ["Westhoughton lunch club"]},
    {"q": "gardener", "relevant": GARDENERS},
    {"q": "gardner", "relevant": GARDENERS},
    {"q": "grass cutting", "relevant": GARDENERS},
    {"q": "walks", "relevant": ["Moss Bank Park walking group"]},
    {"q": "walking group", "near": "Bolton", "relevant": ["Moss Bank Park walking group"]},
    {"q": "PA", "relevant": PAS},
    {"q": "personal assistant", "relevant": PAS},
    {"q": "respite", "relevant": RESPITE},
    {"q": "short break", "relevant": RESPITE},
    {"q": "a break for my carer", "relevant": RESPITE},
    {"q": "sitting service", "relevant": ["Evening sitting service"]},
    {"q": "sitter", "filters": {"time": "evening"}, "relevant": ["Evening sitting service"]},
    {"q": "companionship", "relevant": BEFRIENDING},
    {"q": "befriending", "relevant": BEFRIENDING},
    {"q": "feeling lonely", "relevant": BEFRIENDING},
    {"q": "befriending", "filters": {"language": "ur"}, "relevant": ["Urdu and Punjabi speaking companion"]},
    {"q": "someone to talk to in Urdu", "relevant": ["Urdu and Punjabi speaking companion"]},
    {"q": "meals delivered", "relevant": ["Mrs B's home-cooked meals delivered"]},
    {"q": "meals on wheels", "relevant": ["Mrs B's home-cooked meals delivered"]},
    {
        "q": "cooking for my dad",
        "relevant": ["Kitchen Companion: cooking at home", "Mrs B's home-cooked meals delivered"],
    },
    {"q": "autism friendly", "relevant": ["Spectrum social club for autistic adults", PAS[1]]},
    {"q": "dog walker", "relevant": ["Paws for a Walk dog walker"]},
    {"q": "dog walker", "near": "Horwich", "relevant": ["Horwich dog walks"]},
    {"q": "help getting to college", "relevant": ["Next Steps college and travel support"]},
    {"q": "job coach", "relevant": ["Job coach and volunteering buddy"]},
    {"q": "chair exercise", "relevant": ["Sit and Be Fit chair exercise"]},
    {"q": "exercise for older people", "relevant": ["Sit and Be Fit chair exercise"]},
    {"q": "art classes", "relevant": ["Brushstrokes adult art group"]},
    {"q": "singing group", "relevant": ["Singing for the memory"]},
    {"q": "knitting", "relevant": ["Knit and Natter group"]},
    {"q": "cleaner", "relevant": ["Sparkle home cleaning"]},
    {"q": "ironing", "relevant": ["Fresh Press laundry and ironing"]},
    {"q": "handyman", "relevant": ["Handy Harry odd jobs"]},
    {"q": "grab rails fitted", "relevant": ["Handy Harry odd jobs"]},
    {"q": "overnight care so I can sleep", "relevant": ["Night Owls overnight care"]},
    {
        "q": "",
        "filters": {"outcome": "carer-a-break-for-my-carer", "time": "overnight"},
        "relevant": ["Night Owls overnight care"],
    },
    {"q": "dementia", "relevant": DEMENTIA},
    {"q": "memory loss", "relevant": DEMENTIA},
    {"q": "day centre for learning disabilities", "relevant": ["Horizons day service"]},
    {"q": "help with washing and dressing", "relevant": PERSONAL_CARE},
    {"q": "personal care", "relevant": PERSONAL_CARE},
    {"q": "Polish speaking carer", "relevant": ["Polish-speaking home care"]},
    {"q": "sign language", "relevant": ["BSL-signing companion"]},
    {"q": "lifts to hospital appointments", "relevant": ["Ride Along appointment driver"]},
    {"q": "days out", "relevant": ["Seaside and Lakes days out", "Garden centre trips"]},
    {"q": "massage", "relevant": ["Hand and foot massage at home", "Carers' pamper afternoon"]},
    {"q": "anxiety", "relevant": ["Calm Minds peer support group"]},
    {"q": "school run", "relevant": ["School run helper"]},
    # Issue 15: a typo or "nearest first" must not bring up everything that shares a category
    # (chair exercise above every swimming service, cleaners among the gardeners).
    {
        "q": "swimming",
        "filters": {"sort": "distance"},
        "relevant": ["Swimming buddy", "Little Splashers swimming lessons"],
    },
    {"q": "gardner", "filters": {"sort": "distance"}, "relevant": GARDENERS},
    {"q": "gardener", "filters": {"sort": "distance"}, "relevant": GARDENERS},
    {"q": "knitting", "filters": {"sort": "distance"}, "relevant": ["Knit and Natter group"]},
    {"q": "dog walker", "filters": {"sort": "distance"}, "relevant": ["Paws for a Walk dog walker"]},
    {"q": "chair exercise", "filters": {"sort": "distance"}, "relevant": ["Sit and Be Fit chair exercise"]},
]


# --- building and evaluating -------------------------------------------------------------


def build_fixture() -> dict:
    """Create and publish every listing in LISTINGS (with home and directory pages if missing).

    Returns {title: ListingPage}. Uses tests.factories, so the pages are built exactly as the
    test suite builds them.
    """
    from directory.models import Audience, Language, PostcodeDistrict
    from tests.factories import ProviderFactory, directory_page, make_check, make_listing

    directory_page()
    built = {}
    for spec in LISTINGS:
        spec = dict(spec)
        provider = ProviderFactory(name=spec.pop("provider"))
        audiences = spec.pop("audiences", [])
        languages = spec.pop("languages", [])
        districts = spec.pop("districts", [])
        verified = spec.pop("verified", False)
        if spec.pop("stale", False):
            spec["last_confirmed_at"] = timezone.now() - timedelta(days=400)
        listing = make_listing(
            provider=provider,
            audiences=list(Audience.objects.filter(slug__in=audiences)),
            languages=list(Language.objects.filter(code__in=languages)),
            served_districts=list(PostcodeDistrict.objects.filter(code__in=districts)),
            **spec,
        )
        if verified:
            make_check(provider)
        built[listing.title] = listing
    return built


def _querystring(item: dict) -> str:
    params = {"q": item.get("q", ""), "near": item.get("near", DEFAULT_NEAR)}
    if item.get("radius"):
        params["radius"] = str(item["radius"])
    params.update(item.get("filters", {}))
    return urlencode(params)


def run_query(backend, item: dict, *, vocabularies=None, today=None):
    """Run one QUERIES item the way the search page does; return the SearchResults."""
    from dataclasses import replace

    from directory.services import locate
    from search.query import Location, parse_query
    from search.services import vocabularies as site_vocabularies

    query = parse_query(QueryDict(_querystring(item)), vocabularies=vocabularies or site_vocabularies())
    if query.near:
        found = locate(text=query.near)
        query = query.with_location(
            Location(found.latitude, found.longitude, found.label, found.district_code)
        )
    if today is not None:
        query = replace(query, today=today)
    return backend.search(query)


def score(relevant: list[str], top: list[str]) -> tuple[float, float]:
    """(precision, recall) of one query's top results against its relevant titles."""
    found = len(set(relevant) & set(top))
    precision = found / len(top) if top else 0.0
    recall = found / len(relevant) if relevant else 1.0
    return precision, recall


def evaluate(backend_name: str = "database", *, today=None) -> dict:
    """Build the fixture, index it with `backend_name`, run every query; return the figures.

    Expects Django set up and an empty, migrated database (seeded vocabularies and postcodes);
    creates its own pages and replaces that backend's index with the fixture's listings.
    `today` (a date) pins the day used for freshness and the daily tie-break rotation.

    For each query, top5 is the titles of the first five hits (fewer if fewer were found):
    - precision@5 = |relevant ∩ top5| / |top5|  (0 when nothing was found);
    - recall@5    = |relevant ∩ top5| / |relevant|.
    Both are macro-averaged: the mean over queries. With one to three relevant listings per
    query, precision@5 cannot reach 1 when five results are shown; recall@5 is the figure the
    set is built to test (every relevant listing on the first screen), precision@5 shows how
    much of that first screen is what the person wanted.

    Returns {"queries": n, "listings": m, "precision_at_5": p, "recall_at_5": r,
    "failures": [(q, missing_titles, top5_titles), ...], "details": [per-query dicts]}.
    A query is labelled in failures and details by its text plus any place or filters.
    """
    from directory.models import ListingPage
    from search.backends import get_search_backend
    from search.services import vocabularies

    built = build_fixture()
    backend = get_search_backend(backend_name)
    backend.rebuild(ListingPage.objects.live().filter(pk__in=[page.pk for page in built.values()]))
    vocab = vocabularies()

    details, failures = [], []
    for item in QUERIES:
        results = run_query(backend, item, vocabularies=vocab, today=today)
        top = [hit.title for hit in results.hits[:TOP_N]]
        precision, recall = score(item["relevant"], top)
        missing = [title for title in item["relevant"] if title not in top]
        label = query_label(item)
        details.append(
            {
                "label": label,
                "relevant": list(item["relevant"]),
                "top5": top,
                "count": results.count,
                "precision": precision,
                "recall": recall,
                "missing": missing,
            }
        )
        if missing:
            failures.append((label, missing, top))
    n = len(QUERIES)
    return {
        "queries": n,
        "listings": len(built),
        "precision_at_5": sum(d["precision"] for d in details) / n,
        "recall_at_5": sum(d["recall"] for d in details) / n,
        "failures": failures,
        "details": details,
    }


def query_label(item: dict) -> str:
    """'gardener', 'lunch club near Westhoughton', 'sitter [time=evening]': a readable id."""
    label = item.get("q") or "(no text)"
    if item.get("near", DEFAULT_NEAR) != DEFAULT_NEAR:
        label += f" near {item['near']}"
    if item.get("radius"):
        label += f" within {item['radius']}"
    if item.get("filters"):
        label += " [" + "&".join(f"{k}={v}" for k, v in item["filters"].items()) + "]"
    return label
