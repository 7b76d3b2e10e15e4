"""Bilingual demo content: the challenges and ideas of the demo company, with who supports
and who discusses what. Plain data, seeded by incubator.demo through the ordinary services.

French-speaking people write in French, English speakers in English. Ideas answering the
closed challenge must be proposed before it is closed: closed challenges take no new ideas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoChallenge:
    key: str  # short id the ideas below refer to
    author: str  # a person key from incubator.demo.PEOPLE
    title: str
    problem: str  # Markdown
    source: str  # "customer" | "internal" | "strategic"
    tags: str  # comma-separated
    closes_in_days: int | None  # None: no closing date
    closed: bool = False  # already answered: close it once its ideas are in


@dataclass(frozen=True)
class DemoComment:
    author: str
    body: str  # Markdown
    replies: tuple[tuple[str, str], ...] = ()  # (author key, body)


@dataclass(frozen=True)
class DemoIdea:
    author: str
    title: str
    summary: str
    description: str  # Markdown
    challenge: str | None  # a DemoChallenge key, or None for a free idea
    tags: str  # comma-separated
    supporters: tuple[str, ...]  # person keys, never the author
    comments: tuple[DemoComment, ...] = ()
    blind: bool = False


CHALLENGES: tuple[DemoChallenge, ...] = (
    DemoChallenge(
        key="advocates",
        author="chloe",
        title=(
            "Comment transformer nos clients satisfaits en ambassadeurs sur les réseaux sociaux ?"
        ),
        problem=(
            "Nos enquêtes de satisfaction sont bonnes : **87 % de clients satisfaits** en "
            "magasin l'an dernier. Pourtant, sur les réseaux sociaux, on n'entend presque que "
            "les mécontents. Un client déçu publie spontanément ; un client content, "
            "rarement.\n\n"
            "Ce que l'on constate :\n"
            "- moins de 2 % de nos avis en ligne viennent d'un client qui n'a eu aucun "
            "problème ;\n"
            "- nos publications les plus vues sont celles de clients, pas les nôtres ;\n"
            "- les magasins de Lyon Est et de Nantes Centre reçoivent des lettres de "
            "remerciement, qui restent punaisées dans la réserve.\n\n"
            "Comment donner envie (et l'occasion) à ces clients contents de le dire "
            "publiquement, **sans acheter d'avis** ni les harceler de sollicitations ?"
        ),
        source="customer",
        tags="réseaux sociaux, relation client, marketing digital",
        closes_in_days=60,
    ),
    DemoChallenge(
        key="service_marketing",
        author="jonas",
        title="How could customer service become our best marketing channel?",
        problem=(
            "Our customer service centre handles about **1,400 contacts a week**: calls, "
            "emails and chat. Each one is a conversation with someone who already bought from "
            "us, and today we treat every one of them as a cost to minimise.\n\n"
            "Some numbers from the last quarter:\n"
            "- customers whose issue was solved on the first contact bought again within six "
            "months **2.3 times** as often as the others;\n"
            "- average handling time (target: 6 minutes) is the only KPI the centre is "
            "measured on;\n"
            "- marketing spends roughly €40k a month on paid ads to reach people who have "
            "never heard of us.\n\n"
            "What if a few of those conversations did more for the brand than an ad? We are "
            "looking for ideas that make service something customers talk about, without "
            "turning advisers into salespeople."
        ),
        source="strategic",
        tags="relation client, marketing digital, analytics",
        closes_in_days=45,
    ),
    DemoChallenge(
        key="approvals",
        author="david",
        title="Cut one layer of approvals from expense claims and purchase orders",
        problem=(
            "An expense claim for a €32 train ticket goes through **three approvals**: line "
            "manager, department head and finance. A purchase order for a €120 spare part "
            "needs the same. Last year:\n"
            "- the median expense claim took **19 days** from submission to reimbursement;\n"
            "- 96% of claims under €150 were approved without any change;\n"
            "- finance spent about 0.6 FTE checking claims that were never in doubt.\n\n"
            "Each layer was added for a good reason at some point, usually after a single "
            "incident. I'd like proposals that remove at least one layer for low-risk spending "
            "while keeping a control that would actually catch a problem. Please come with a "
            'threshold and a way to check afterwards, not just "trust people more".'
        ),
        source="internal",
        tags="budget, achats, contrôle de gestion",
        closes_in_days=None,
        closed=True,
    ),
    DemoChallenge(
        key="workshop",
        author="bruno",
        title=(
            "Moderniser nos équipements d'atelier plus vite, sans attendre le grand plan "
            "d'investissement"
        ),
        problem=(
            "À l'atelier de Saint-Étienne, l'âge moyen du parc est de **22 ans**. La presse "
            "hydraulique de 1998 et les deux tours CN de 2003 tournent encore, mais chaque "
            "panne nous coûte en moyenne une journée et demie de production.\n\n"
            "Aujourd'hui, un remplacement passe par le plan d'investissement annuel : dossier "
            "en septembre, arbitrage en décembre, commande au printemps, installation à "
            "l'automne suivant. **Plus d'un an** entre le besoin et la machine.\n\n"
            "Ce que nous cherchons :\n"
            "- des façons de moderniser par petites étapes (rétrofit, capteurs, outillage) "
            "plutôt que de tout remplacer ;\n"
            "- un circuit de décision plus court pour les petits montants ;\n"
            "- des idées venant aussi de ceux qui utilisent les machines tous les jours."
        ),
        source="strategic",
        tags="maintenance, iot, lean",
        closes_in_days=90,
    ),
    DemoChallenge(
        key="front_line",
        author="emma",
        title="Help leadership hear what the front line sees",
        problem=(
            "Our store staff and customer service advisers notice problems weeks before they "
            "show up in a report: a product that keeps coming back, a process that makes "
            "customers wait, a competitor's offer everyone is asking about. By the time it "
            "reaches the executive committee, it has been summarised four times and softened "
            "each time.\n\n"
            "The engagement survey says it plainly: only **31%** of front-line employees feel "
            'that "management knows what happens on the ground", against 68% at '
            "headquarters.\n\n"
            "We'd like ideas that:\n"
            "- get a front-line signal to decision makers **in days, not quarters**;\n"
            "- show people that what they raised was heard, and what was done with it;\n"
            "- don't add yet another report for store managers to fill in."
        ),
        source="internal",
        tags="change management, relation client, training",
        closes_in_days=None,
    ),
    DemoChallenge(
        key="returns",
        author="ines",
        title="Réduire les retours en magasin qui auraient pu être évités",
        problem=(
            "Les retours représentent **8,5 % du chiffre d'affaires** des magasins, et le taux "
            "monte à 14 % sur le mobilier en kit. En analysant 600 motifs de retour du dernier "
            "trimestre, trois causes reviennent :\n"
            "- « ça ne rentre pas » : le client n'avait pas mesuré son espace (31 %) ;\n"
            "- une pièce ou un sachet de vis manquant dans le carton (18 %) ;\n"
            "- « la couleur n'est pas celle de la photo » (12 %).\n\n"
            "Chaque retour coûte en moyenne 23 € de traitement, sans compter le client agacé "
            "qui doit revenir une deuxième fois au magasin. Comment éviter ces retours avant "
            "même l'achat, ou avant que le carton ne quitte l'atelier ?"
        ),
        source="customer",
        tags="qualité, analyse de données, relation client",
        closes_in_days=30,
    ),
)


IDEAS: tuple[DemoIdea, ...] = (
    DemoIdea(
        author="camille",
        title="Demander un avis au bon moment : juste après un problème bien résolu",
        summary=(
            "Envoyer un SMS après un ticket résolu dès le premier contact, avec un lien direct "
            "pour laisser un avis. C'est le moment où le client est le plus reconnaissant, et "
            "aujourd'hui nous le laissons passer."
        ),
        description=(
            "Au service client, on le voit tous les jours : un client dont on a réglé le "
            "problème rapidement est souvent plus enthousiaste qu'un client qui n'a jamais eu "
            "de souci. Il nous remercie au téléphone… puis plus rien.\n\n"
            "**Comment ça marcherait**\n"
            "- Le conseiller coche « résolu au premier contact » en clôturant le ticket.\n"
            "- 24 h plus tard, le client reçoit un SMS : un merci, et un lien vers la page "
            "d'avis du magasin concerné.\n"
            "- Pas de relance, pas de cadeau en échange d'un avis : une seule demande, au bon "
            "moment.\n\n"
            "**Ce qu'il faut**\n"
            "- Une case de plus dans l'outil de tickets (à voir avec l'IT).\n"
            "- Un forfait SMS : environ 600 envois par semaine.\n"
            "- Un test de deux mois sur Lyon Est et Nantes Centre, comparé aux autres magasins."
        ),
        challenge="advocates",
        tags="relation client, réseaux sociaux, avis clients",
        supporters=("chloe", "ines", "jonas", "farid", "emma", "grace", "lea"),
        comments=(
            DemoComment(
                author="jonas",
                body=(
                    "I can set up the comparison: review volume and average rating per store, "
                    "8 weeks before and after. We'd need at least 300 messages per store to "
                    "see anything."
                ),
                replies=(
                    (
                        "camille",
                        (
                            "Lyon Est clôture à lui seul environ 250 tickets résolus par mois, "
                            "on y arrive donc en six semaines."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="ines",
                body=(
                    "Attention aux tickets « résolus » qui reviennent dans la semaine. Je "
                    "propose d'attendre 72 h plutôt que 24 h, le temps de vérifier que le "
                    "client ne rappelle pas."
                ),
                replies=(
                    (
                        "ada",
                        (
                            "The ticket tool can hold the message until no new contact has "
                            "been logged for 72 hours. Easy to add."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="lea",
                body=(
                    "Quel coût par SMS ? Si c'est autour de 5 centimes, le test revient à "
                    "moins de 300 € et n'a pas besoin de passer par le budget annuel."
                ),
            ),
        ),
    ),
    DemoIdea(
        author="jonas",
        title="Store referral codes: let happy customers bring a friend, and measure it",
        summary=(
            "Print a personal referral code on every receipt, worth €10 for the friend and €10 "
            "for the customer. We finally learn which stores create advocates, not just sales."
        ),
        description=(
            "We talk about advocacy but we cannot measure it. Today, if a customer recommends "
            "us to a neighbour, we never find out.\n\n"
            "**How it would work**\n"
            "- Each receipt carries a short personal code (e.g. `LYE-4821`).\n"
            "- The friend gets €10 off a first purchase over €80; the customer gets €10 off "
            "their next visit.\n"
            "- Codes work in store and online, so we can see which store the recommendation "
            "came from.\n\n"
            "**What we would learn**\n"
            "- Referral rate per store and per product family.\n"
            "- Whether customers who went through customer service refer more or less than the "
            "others.\n\n"
            "**What is needed**\n"
            "- A change to the receipt template and the till software (IT, about 10 days).\n"
            "- A capped budget for the pilot: I suggest €8k over three months in four stores."
        ),
        challenge="advocates",
        tags="analytics, marketing digital, parrainage",
        supporters=("chloe", "david"),
        comments=(
            DemoComment(
                author="farid",
                body=(
                    "Côté grands comptes, ça ne marchera pas tel quel : une entreprise ne « "
                    "parraine » pas avec un bon de 10 €. Pour les particuliers, en revanche, "
                    "je suis preneur."
                ),
            ),
            DemoComment(
                author="david",
                body=(
                    "€10 plus €10 on an €80 basket eats a quarter of the margin on some "
                    "families. Can we restrict the pilot to product lines above 35% gross "
                    "margin?"
                ),
                replies=(
                    (
                        "jonas",
                        (
                            "Yes, that excludes decoration and the entry-level kit range. I'll "
                            "update the proposal."
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoIdea(
        author="farid",
        title="Un club de 40 clients ambassadeurs qui testent nos nouveautés en avant-première",
        summary=(
            "Inviter nos clients les plus fidèles à tester les nouveaux produits avant leur "
            "sortie, en échange d'un avis franc. Ceux qui le souhaitent partagent l'expérience "
            "sur leurs réseaux."
        ),
        description=(
            "Certains clients nous suivent depuis quinze ans et connaissent nos produits mieux "
            "que certains vendeurs. Ils en parlent déjà autour d'eux, sans que nous leur "
            "donnions quoi que ce soit à raconter.\n\n"
            "**L'idée**\n"
            "- 40 clients choisis par les magasins (fidélité, avis déjà laissés, envie de "
            "participer).\n"
            "- Deux fois par an, ils reçoivent un produit de la nouvelle collection avant sa "
            "sortie.\n"
            "- Ils remplissent un court questionnaire ; ceux qui le veulent publient, avec la "
            "mention claire « produit offert ».\n\n"
            "**Pourquoi ça peut marcher**\n"
            "- Des retours réels avant le lancement, utiles aussi au bureau d'études.\n"
            "- Des publications authentiques plutôt que des publicités.\n\n"
            "**Besoins** : environ 6 000 € de produits par an, et une personne du marketing "
            "pour animer le club une demi-journée par semaine."
        ),
        challenge="advocates",
        tags="relation client, réseaux sociaux, fidélité",
        supporters=("camille", "chloe", "hugo"),
    ),
    DemoIdea(
        author="ines",
        title=(
            "Nos 20 questions les plus fréquentes en vidéos de 60 secondes, tournées par les "
            "conseillers"
        ),
        summary=(
            "Les conseillers filment des réponses courtes aux questions qu'on nous pose le "
            "plus (montage, entretien, garantie). Publiées sur le site et les réseaux, elles "
            "évitent des appels et montrent notre savoir-faire."
        ),
        description=(
            "Sur les 1 400 contacts hebdomadaires, près d'un quart portent sur **les mêmes "
            "vingt questions** : comment régler les charnières, comment entretenir un plateau "
            "en chêne, comment faire jouer la garantie…\n\n"
            "**Proposition**\n"
            "- Je sors de nos données la liste exacte des 20 questions les plus fréquentes.\n"
            "- Des conseillers volontaires tournent chacun une ou deux vidéos de 60 secondes, "
            "avec un smartphone et un micro-cravate.\n"
            "- Le marketing s'occupe d'un montage léger et de la publication ; les conseillers "
            "envoient aussi le lien pendant leurs échanges avec les clients.\n\n"
            "**Ce qu'on mesure** : les appels évités sur ces sujets, les vues et les "
            "partages.\n\n"
            "**Besoins** : deux micros (60 € pièce), un coin calme, et deux heures par semaine "
            "de temps conseiller pendant deux mois."
        ),
        challenge="service_marketing",
        tags="support, formation, vidéo",
        supporters=("camille", "jonas", "grace"),
        comments=(
            DemoComment(
                author="grace",
                body=(
                    "Please add subtitles by default: most people will watch these on a phone "
                    "with the sound off, halfway through assembling something."
                ),
                replies=(
                    (
                        "ines",
                        "Bonne remarque, on le prévoit dès le montage.",
                    ),
                ),
            ),
            DemoComment(
                author="jonas",
                body=(
                    "Search data agrees with you: *hinge adjustment* alone brings about 3,000 "
                    "searches a month to the site, and we have no page that answers it."
                ),
            ),
        ),
    ),
    DemoIdea(
        author="emma",
        title="A €20 daily goodwill budget for every adviser, no approval needed",
        summary=(
            "Let each customer service adviser spend up to €20 a day on small gestures (waived "
            "delivery, a part sent express, a voucher) without asking a manager. Customers "
            "remember being treated like adults."
        ),
        description=(
            'Advisers tell me the most frustrating moment of their day is saying "I need to '
            'check with my manager" about a €9 delivery fee. The customer waits, the manager '
            "is interrupted, and the answer is yes nine times out of ten.\n\n"
            "**How it would work**\n"
            "- Every adviser has a goodwill budget of €20 a day, not carried over.\n"
            "- They choose the gesture: a part sent express, waived delivery, a €10 voucher, a "
            "handwritten card.\n"
            "- Each use is logged in the ticket with one line of explanation.\n"
            "- A monthly review looks at the total and the outliers, not at each gesture.\n\n"
            "**What it costs**: at most €20 × 35 advisers × 21 days ≈ €14,700 a month if "
            "everyone used all of it, which they won't. Escalated gestures already cost about "
            "€6,000 a month today, plus the managers' time.\n\n"
            "**What we'd need**: a field in the ticket tool, a short training session and a "
            "three-month trial."
        ),
        challenge="service_marketing",
        tags="relation client, change management, formation",
        supporters=("camille", "ines", "chloe", "farid"),
        comments=(
            DemoComment(
                author="lea",
                body=(
                    "Sur le principe, oui. Mais qui contrôle les abus ? Je propose un tableau "
                    "mensuel par conseiller, visible par l'équipe elle-même plutôt que par un "
                    "manager."
                ),
                replies=(
                    (
                        "emma",
                        (
                            "Agreed: peer visibility is a better control than an approval. "
                            "I'll add it to the trial design."
                        ),
                    ),
                    (
                        "david",
                        (
                            "Let's also cap the trial at €8,000 a month in total. If we hit "
                            "the cap in week two, we learn something too."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="camille",
                body=(
                    "Les conseillers seniors le font déjà, en négociant avec leur manager. Ce "
                    "budget rendrait le geste possible pour les nouveaux aussi, qui n'osent "
                    "pas demander."
                ),
            ),
        ),
    ),
    DemoIdea(
        author="lea",
        title=(
            "Notes de frais sous 150 € : une seule validation, et un contrôle par échantillon "
            "après coup"
        ),
        summary=(
            "Supprimer la validation du chef de département et du contrôle de gestion pour les "
            "notes de frais de moins de 150 €. En échange, le contrôle de gestion vérifie "
            "chaque mois un échantillon de 5 % tiré au hasard."
        ),
        description=(
            "96 % des notes de frais sous 150 € sont validées sans aucune modification. Les "
            "trois validations successives ne trouvent donc presque rien, mais elles coûtent "
            "**19 jours de délai** et du temps à tout le monde.\n\n"
            "**Ce que je propose**\n"
            "- Sous 150 € TTC : validation par le manager direct uniquement, remboursement sur "
            "la paie suivante.\n"
            "- Chaque mois, le contrôle de gestion tire au hasard 5 % des notes et vérifie les "
            "justificatifs.\n"
            "- En cas d'anomalie, la personne repasse par le circuit complet pendant six "
            "mois.\n"
            "- Au-dessus de 150 €, rien ne change.\n\n"
            "**Ce qu'on gagne** : environ 0,4 ETP au contrôle de gestion, et un délai de "
            "remboursement ramené sous les 10 jours.\n\n"
            "**Ce qu'il faut** : un paramétrage dans l'outil de notes de frais et une note de "
            "la direction financière. Aucun investissement."
        ),
        challenge="approvals",
        tags="contrôle de gestion, budget, notes de frais",
        supporters=("ada", "bruno", "camille", "chloe", "david", "emma", "farid", "hugo", "jonas"),
        comments=(
            DemoComment(
                author="david",
                body=(
                    "This is exactly the shape I was hoping for: a threshold and a real "
                    "control. Can you estimate how many anomalies a 5% sample would have "
                    "caught last year?"
                ),
                replies=(
                    (
                        "lea",
                        (
                            "L'an dernier, 11 notes sous 150 € ont été rejetées, dont 9 pour "
                            "justificatif manquant. Un échantillon de 5 % en aurait trouvé une "
                            "ou deux ; c'est surtout l'effet dissuasif qui compte."
                        ),
                    ),
                    (
                        "david",
                        (
                            "Fair enough. Let's run it for six months and publish the sample "
                            "results to the whole company."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="bruno",
                body=(
                    "Pour l'atelier, ça changerait beaucoup : mes techniciens avancent souvent "
                    "de petits achats de pièces et attendent un mois leur remboursement."
                ),
            ),
        ),
    ),
    DemoIdea(
        author="ada",
        title=(
            "Purchase orders under €500 from the approved catalogue go straight to the supplier"
        ),
        summary=(
            "If an item is in the approved supplier catalogue and the order is under €500, it "
            "is sent without any approval. Each cost centre reviews its spending once a month "
            "instead."
        ),
        description=(
            "A purchase order for a €120 spare part or a keyboard follows the same three "
            "approvals as a €20,000 machine. Catalogue prices are already negotiated by "
            "purchasing, so the approvals mostly check that someone really needs a "
            "keyboard.\n\n"
            "**How it would work**\n"
            "- Catalogue items, orders under €500: no approval, sent to the supplier at once.\n"
            "- Each cost centre gets a monthly report of what was ordered, and its manager can "
            "flag anything odd.\n"
            "- Anything off-catalogue or above €500 keeps the current process.\n\n"
            "**What is needed**\n"
            "- A rule in the purchasing workflow. I've checked: the tool supports "
            "amount-and-catalogue conditions, about three days of configuration.\n"
            "- Purchasing to clean up the catalogue, where some prices are four years old.\n\n"
            "**Risk**: someone splitting a large order into small ones. A weekly check on "
            "orders per supplier and per cost centre catches that."
        ),
        challenge="approvals",
        tags="achats, automatisation, budget",
        supporters=("lea", "bruno", "hugo"),
        comments=(
            DemoComment(
                author="hugo",
                body=(
                    "Pour l'atelier, 500 €, c'est juste : un roulement de broche pour le tour "
                    "CN coûte 640 €. Peut-on prévoir un seuil à 1 000 € pour les pièces de "
                    "maintenance ?"
                ),
                replies=(
                    (
                        "ada",
                        (
                            "Possible with a separate catalogue category for maintenance "
                            "parts. I'd rather start at €500 everywhere and raise it after "
                            "three months of data."
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoIdea(
        author="hugo",
        title=(
            "Des capteurs de vibration sur la presse hydraulique de 1998 pour anticiper les pannes"
        ),
        summary=(
            "Poser des capteurs de vibration et de température sur la presse de 1998 et les "
            "deux tours CN, pour passer d'une maintenance « à la panne » à une maintenance "
            "conditionnelle. Coût estimé : moins de 4 000 €."
        ),
        description=(
            "La presse hydraulique de 1998 a cassé quatre fois l'an dernier, toujours de la "
            "même façon : la pompe chauffe pendant plusieurs jours, puis lâche. Chaque panne, "
            "c'est **une journée et demie d'arrêt** et une intervention en urgence facturée le "
            "double.\n\n"
            "**Ce que je propose**\n"
            "- Des capteurs sans fil de vibration et de température sur la pompe de la presse "
            "et sur les broches des deux tours CN (environ 250 € pièce).\n"
            "- Une passerelle qui envoie les mesures vers un tableau simple, consultable à "
            "l'atelier.\n"
            "- Une alerte par SMS au technicien d'astreinte quand une courbe dérive.\n\n"
            "**Ce qu'il faut**\n"
            "- Environ 3 800 € de matériel, installation faite en interne.\n"
            "- Un coup de main de l'IT pour le réseau de l'atelier et l'hébergement des "
            "données.\n"
            "- Trois mois de mesures pour fixer les seuils d'alerte."
        ),
        challenge="workshop",
        tags="iot, maintenance, automatisation",
        supporters=("bruno", "ada", "david", "grace"),
        comments=(
            DemoComment(
                author="david",
                body=(
                    "Who pays for the sensors: the workshop's maintenance budget or IT? I'm "
                    "supportive, but I'd like the business case to put the cost of last year's "
                    "four breakdowns next to the €3,800."
                ),
                replies=(
                    (
                        "bruno",
                        (
                            "C'est le budget maintenance qui paie. Les quatre pannes nous ont "
                            "coûté environ 18 000 € en interventions et en production perdue ; "
                            "je joins le détail."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="ada",
                body=(
                    "The workshop Wi-Fi will not cope. I'd suggest a dedicated low-power radio "
                    "gateway rather than putting the sensors on the office network."
                ),
                replies=(
                    (
                        "hugo",
                        (
                            "D'accord, c'est d'ailleurs ce que recommande le fournisseur. Je "
                            "vous envoie la fiche technique."
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoIdea(
        author="david",
        title="A rolling €60k modernisation fund the workshop can draw on all year",
        summary=(
            "Instead of one capital request a year, give the workshop a standing fund for "
            "retrofits under €15k, decided by a small panel within two weeks. Big replacements "
            "stay in the annual plan."
        ),
        description=(
            "Bruno's challenge describes a twelve-month loop between a need and a machine. "
            "Most of what the workshop asks for is not a new machine: it is a retrofit, a new "
            "control panel, tooling, a safety upgrade. These projects are small, but they wait "
            "in the same queue as a €400k line.\n\n"
            "**How it would work**\n"
            "- A €60k fund per year, ring-fenced within the investment plan.\n"
            "- Any request under €15k: one page (need, cost, expected saving), decided within "
            "**two weeks** by the workshop manager, a finance partner and a maintenance "
            "technician.\n"
            "- Whatever is not committed by October goes back to the general plan.\n"
            "- A short quarterly note on what was funded and what it saved.\n\n"
            "**Why it is safe**: the total is capped, every decision is written down, and we "
            "will learn which small upgrades actually pay back."
        ),
        challenge="workshop",
        tags="budget, business case, maintenance",
        supporters=("bruno", "hugo", "lea"),
    ),
    DemoIdea(
        author="farid",
        title=(
            "« Vis ma vie » : une demi-journée par trimestre sur le terrain pour chaque membre "
            "du comité de direction"
        ),
        summary=(
            "Une demi-journée par trimestre en magasin, au service client ou à l'atelier, pour "
            "faire le travail et non pour visiter. Avec un compte rendu publié sur Incubator "
            "et une réponse à chaque irritant relevé."
        ),
        description=(
            "Les visites de magasin de la direction sont annoncées trois semaines à l'avance : "
            "tout est rangé, l'équipe est au complet, personne n'ose dire ce qui coince. Ce "
            "n'est pas ce que vivent nos clients un samedi après-midi.\n\n"
            "**La proposition**\n"
            "- Chaque membre du comité de direction passe une demi-journée par trimestre à un "
            "poste de terrain : caisse, accueil SAV, plateau téléphonique, poste à l'atelier.\n"
            "- La date est choisie par l'équipe qui accueille, pas par l'agenda de la "
            "direction.\n"
            "- À la fin, l'équipe et le dirigeant notent ensemble les trois irritants les plus "
            "forts.\n"
            "- Le compte rendu est publié ici, et le dirigeant y répond sous un mois : ce qui "
            "sera fait, ou pourquoi non.\n\n"
            "**Besoins** : du temps d'agenda, surtout. Et l'engagement de répondre."
        ),
        challenge="front_line",
        tags="change management, relation client, terrain",
        supporters=("camille", "ines", "bruno", "hugo", "emma", "grace"),
        comments=(
            DemoComment(
                author="chloe",
                body=(
                    "Je me porte volontaire pour le premier trimestre, au plateau "
                    "téléphonique. Une demi-journée me paraît courte pour vraiment tenir un "
                    "poste, mais c'est un début."
                ),
                replies=(
                    (
                        "camille",
                        (
                            "Une demi-journée en double écoute, puis une heure à prendre des "
                            "appels simples : c'est faisable, on le fait déjà pour les "
                            "stagiaires."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="emma",
                body=(
                    "The risk is that it turns into a photo opportunity. Publishing the three "
                    "irritants and answering within a month is what makes it credible, so I'd "
                    "keep that part non-negotiable."
                ),
            ),
            DemoComment(
                author="david",
                body=(
                    "I'll sign up for the workshop. I'm a little sceptical, though: three "
                    "irritants per visit will pile up fast. Who tracks them once they have "
                    "been answered?"
                ),
                replies=(
                    (
                        "farid",
                        (
                            "Bonne question. Je propose qu'on les suive ici même, comme des "
                            "défis, avec un statut visible de tous."
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoIdea(
        author="camille",
        title=(
            "Un « mur des irritants » anonyme, relu chaque mois par la direction avec réponse "
            "publique"
        ),
        summary=(
            "Un formulaire anonyme de trois lignes où chacun signale ce qui gêne son travail "
            "ou les clients. Chaque mois, la direction prend les cinq sujets les plus cités et "
            "y répond publiquement."
        ),
        description=(
            "Beaucoup de collègues du terrain ne remontent rien, non par manque d'idées, mais "
            "parce qu'ils ne veulent pas passer pour ceux qui se plaignent, ou parce que leur "
            "responsable direct fait partie du problème.\n\n"
            "**Comment ça marcherait**\n"
            "- Un formulaire anonyme, accessible depuis les caisses et les postes du service "
            "client : *ce qui coince*, *depuis quand*, *ce que ça coûte au client*.\n"
            "- Les signalements proches sont regroupés, et chacun peut appuyer un irritant "
            "déjà signalé.\n"
            "- Chaque premier lundi du mois, la direction traite les cinq plus cités et publie "
            "une réponse : ce qui change, qui s'en occupe, ou pourquoi rien ne changera.\n\n"
            "**Ce qu'il faut** : un formulaire simple (peut-être un module d'Incubator), un "
            "membre de la direction qui porte la réponse mensuelle, et la garantie écrite que "
            "l'anonymat est réel."
        ),
        challenge="front_line",
        tags="relation client, qualité, anonymat",
        supporters=("ines", "farid", "hugo"),
        comments=(
            DemoComment(
                author="ada",
                body=(
                    'Real anonymity is harder than it sounds: in a store of 12 people, "since '
                    'when" plus "which till" identifies someone. We would need to strip '
                    "those details before publishing."
                ),
                replies=(
                    (
                        "ines",
                        (
                            "On pourrait ne publier que des regroupements d'au moins trois "
                            "signalements, comme on le fait déjà pour l'analyse des "
                            "réclamations."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="emma",
                body=(
                    "This overlaps with the engagement survey, but monthly beats yearly. Could "
                    "we link the two, so the survey asks whether the monthly answers were any "
                    "use?"
                ),
            ),
        ),
        blind=True,
    ),
    DemoIdea(
        author="grace",
        title='A "will it fit?" step: measure your space before buying kit furniture',
        summary=(
            "Before checkout, the product page asks for three measurements and draws the piece "
            "to scale in the customer's space, with doors and drawers open."
        ),
        description=(
            "Inès's analysis shows that 31% of returns are \"it doesn't fit\". Our product "
            "pages list dimensions, but a list of numbers doesn't tell you whether the "
            "wardrobe door will hit the radiator.\n\n"
            "**How it would work**\n"
            '- On large items, a "Will it fit?" button asks for the width, depth and height '
            "of the space, in a few taps.\n"
            "- The page draws the piece to scale in that space, with doors and drawers open.\n"
            "- In store, staff run the same check on a tablet with the customer before the "
            "order.\n"
            "- If it doesn't fit, we suggest the closest model that does.\n\n"
            "**What is needed**\n"
            "- Opening dimensions for each product (the design office has them).\n"
            "- About six weeks of design and development for a first version on the 40 "
            "best-selling large items.\n"
            "- A comparison of return rates for those items, before and after."
        ),
        challenge="returns",
        tags="ux, prototyping, retours",
        supporters=("ines", "jonas"),
        comments=(
            DemoComment(
                author="ines",
                body=(
                    "Ces 40 références couvrent à elles seules 60 % des retours « ça ne rentre "
                    "pas » : le périmètre est bien choisi."
                ),
                replies=(
                    (
                        "grace",
                        (
                            "Great, that settles the scope. I'll sketch the flow next week and "
                            "share it here."
                        ),
                    ),
                ),
            ),
            DemoComment(
                author="farid",
                body=(
                    "En magasin, il faudrait aussi pouvoir l'imprimer : beaucoup de clients "
                    "repartent avec le plan pour aller mesurer chez eux."
                ),
            ),
        ),
    ),
    DemoIdea(
        author="hugo",
        title="Peser chaque carton en fin de ligne pour détecter les pièces manquantes",
        summary=(
            "Une balance en fin de ligne d'emballage compare le poids de chaque carton au "
            "poids attendu. Un écart de plus de 2 % bloque le carton pour vérification avant "
            "expédition."
        ),
        description=(
            "18 % des retours viennent d'une pièce ou d'un sachet de vis manquant. Le carton "
            "quitte l'atelier incomplet, et on ne le découvre que chez le client, le jour du "
            "montage.\n\n"
            "**L'idée**\n"
            "- Chaque référence a un poids théorique (la nomenclature le donne déjà).\n"
            "- Une balance connectée en fin de ligne pèse chaque carton et le compare à ce "
            "poids.\n"
            "- Écart supérieur à 2 % : voyant rouge, le carton est mis de côté et ouvert.\n"
            "- Chaque écart est enregistré, pour savoir quel poste d'emballage ou quelle pièce "
            "pose problème.\n\n"
            "**Besoins** : une balance industrielle connectée (environ 2 500 €), une journée "
            "d'intégration avec le lecteur de codes-barres existant, et un mois de réglage des "
            "tolérances.\n\n"
            "Un sachet de vis pèse de 40 à 80 g : sur les petits cartons, l'écart se voit ; "
            "sur les gros, il faudra sans doute compléter par un contrôle visuel."
        ),
        challenge="returns",
        tags="qualité, automatisation, retours",
        supporters=("bruno",),
        comments=(
            DemoComment(
                author="bruno",
                body=(
                    "Nous avons déjà une balance au quai d'expédition, inutilisée depuis le "
                    "changement de transporteur. Vérifions si sa précision suffit avant d'en "
                    "acheter une."
                ),
            ),
        ),
        blind=True,
    ),
    DemoIdea(
        author="chloe",
        title=(
            "Transformer les chutes de bois de l'atelier en petits objets offerts aux clients "
            "fidèles"
        ),
        summary=(
            "Les chutes de chêne et de hêtre finissent à la benne. On pourrait en faire des "
            "objets gravés, offerts aux clients fidèles : un cadeau qui raconte notre "
            "fabrication, à la place des goodies en plastique."
        ),
        description=(
            "L'atelier jette chaque semaine plusieurs bacs de chutes de chêne et de hêtre, "
            "trop petites pour nos meubles mais de très belle qualité. Pendant ce temps, le "
            "marketing achète des goodies en plastique qui finissent au fond d'un tiroir.\n\n"
            "**L'idée**\n"
            "- Une petite série : dessous-de-plat, porte-clés, marque-pages, découpés et "
            "gravés à l'atelier pendant les creux de charge.\n"
            "- Offerts aux clients fidèles, lors des ateliers en magasin, ou glissés dans les "
            "colis des clients ambassadeurs.\n"
            "- Une petite carte explique d'où vient le bois et qui l'a travaillé.\n\n"
            "**Ce qu'il faut** : vérifier avec l'atelier que les creux de charge le "
            "permettent, un gabarit de découpe et un petit budget de gravure, pris sur le "
            "budget goodies (environ 9 000 € par an)."
        ),
        challenge=None,
        tags="marketing digital, rse, atelier",
        supporters=(),
    ),
    DemoIdea(
        author="bruno",
        title="Mutualiser les camionnettes de livraison des trois magasins lyonnais",
        summary=(
            "Chaque magasin a sa camionnette, souvent à moitié vide l'après-midi. Un planning "
            "commun permettrait de livrer plus de clients avec les mêmes véhicules, voire de "
            "rendre une location à l'échéance."
        ),
        description=(
            "Les magasins de Lyon Est, Villeurbanne et Vénissieux ont chacun une camionnette "
            "en location longue durée. D'après les feuilles de route du dernier trimestre, "
            "elles roulent en moyenne **à 55 % de leur capacité**, et deux d'entre elles se "
            "croisent souvent dans les mêmes quartiers.\n\n"
            "**Proposition**\n"
            "- Un planning de livraison commun aux trois magasins, tenu par une seule "
            "personne.\n"
            "- Des tournées organisées par secteur géographique, et non plus par magasin.\n"
            "- Le client choisit toujours un créneau d'une demi-journée, comme aujourd'hui.\n\n"
            "**Ce qu'on peut gagner** : moins de kilomètres, des créneaux plus larges pour les "
            "clients, et peut-être une location en moins à l'échéance de septembre (environ 7 "
            "200 € par an).\n\n"
            "**Ce qu'il faut** : l'accord des trois directeurs de magasin et un outil de "
            "planification simple ; un tableur partagé suffira pour commencer."
        ),
        challenge=None,
        tags="logistique, lean, livraison",
        supporters=("farid",),
    ),
    DemoIdea(
        author="emma",
        title="A buddy from another department for every new hire's first 90 days",
        summary=(
            "Pair each new hire with a volunteer from another department for their first three "
            "months, one coffee a fortnight. Newcomers learn how the company really works; "
            "buddies get a fresh pair of eyes."
        ),
        description=(
            "New hires meet their own team quickly, but it takes them a year to learn whom to "
            "call in purchasing or how the workshop plans its week. Exit interviews say the "
            "same thing: in the first months, the company feels like a set of silos.\n\n"
            "**How it would work**\n"
            "- Every new hire gets a volunteer buddy from a different department.\n"
            "- One 30-minute coffee every two weeks for 90 days, on work time.\n"
            '- Buddies get a one-page guide: what to explain, and what to ask ("what '
            'surprised you here?").\n'
            "- At day 90, the new hire writes down three things they found odd, and we share "
            "the patterns with the leadership team.\n\n"
            "**What is needed**: about 20 volunteers a year, an hour of briefing, and someone "
            "in HR to match the pairs. No budget beyond the coffee."
        ),
        challenge=None,
        tags="training, recruiting, onboarding",
        supporters=("ada", "grace"),
    ),
)
