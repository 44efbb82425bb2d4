package pii

import "strings"

// The lexicons below are compact, hand-written lists of common given names,
// surnames, street words and place names across the languages aigis meets
// most. They are built from general knowledge, not from any evaluation set.

// Lexicon flags.
const (
	fFirst uint32 = 1 << iota
	fSurname
	fNotName
	fTitle
	fWeekday
	fMonth
	fStreetSuffix
	fStreetPrefix
	fCountry
	fCity
	fUnit
	fOrg
	fPhraseStart
	fNRP // nationality, religious or political group (Presidio NRP)
)

// buildLexicon merges the word lists into one lower-case word -> flags map.
func buildLexicon() map[string]uint32 {
	m := map[string]uint32{}
	add := func(list string, f uint32) {
		for _, w := range strings.Fields(list) {
			m[strings.ToLower(w)] |= f
		}
	}
	add(firstNamesList, fFirst)
	add(surnamesList, fSurname)
	add(notNamesList, fNotName)
	add(titlesList, fTitle)
	add(weekdaysList, fWeekday)
	add(streetSuffixWordsList, fStreetSuffix)
	add(streetPrefixWordsList, fStreetPrefix)
	add(countriesList, fCountry)
	add(citiesList, fCity)
	add(unitWordsList, fUnit)
	add(orgWordsList, fOrg)
	add(nrpList, fNRP)
	for _, w := range strings.Fields(nrpList) {
		if strings.HasSuffix(w, "an") || strings.HasSuffix(w, "i") || strings.HasSuffix(w, "ist") {
			m[w+"s"] |= fNRP // Americans, Israelis, Buddhists
		}
	}
	for w, f := range m {
		if f&fNRP != 0 && f&(fFirst|fSurname) == 0 {
			m[w] |= fNotName // "Slovenian" is no surname in -ian
		}
	}
	for _, ph := range countryPhrases {
		m[strings.Fields(ph)[0]] |= fPhraseStart
	}
	for w := range months {
		m[w] |= fMonth
	}
	return m
}

const firstNamesList = `
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond
jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian
keith roger terry gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel
logan albert willie alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip louis
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley
kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen
amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet
catherine maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith
megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail
alice judy sophia grace denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany
charlotte marie kayla alexis lori sheila jamie debra naomi belle cindy kristen jeremy kyle margaret astrid freja
laila anna eva éva ari virpi tómas magnus joakim benito daniel kenneth cettina albert mohamed velimir gaetane
lars anders erik nils sven olof johan karl per hans jan peter mikael henrik mattias fredrik gustav axel oskar
emil lukas jonas elias leon finn noah felix maximilian paul ben luis moritz niklas tim tobias julian jannik
ingrid karin kerstin birgitta eva annika ulla maja elsa ella alma wilma ebba saga linnea klara frida ida
sofie mette hanne lone pia inger bodil kirsten camilla anne signe tove liv randi solveig kari nina marte
mikko jukka pekka matti timo juha kari antti ville jari heikki sami tuomas janne aino eino impi riku sanna
päivi tuula leena anneli hanna johanna kaisa maarit minna satu tiina pirjo marja outi jóhann sigurður guðrún
ástríður ólafur gunnar einar helgi kristín sigríður
giuseppe giovanni antonio mario luigi francesco angelo vincenzo pietro salvatore carlo franco domenico bruno
paolo michele giorgio aldo sergio luca marco andrea alessandro matteo lorenzo davide simone stefano roberto
giulia francesca chiara sara valentina alessia martina elena silvia laura federica paola rosa nunzia lucia
jean pierre michel philippe alain jacques bernard andré rené louis nicolas julien antoine olivier thierry
christophe sébastien françois laurent éric hugo théo lucas léa chloé manon camille inès jade louise zoé
sophie isabelle nathalie sylvie catherine valérie céline aurélie émilie juliette margaux amélie
josé juan manuel francisco antonio jesús javier carlos miguel rafael pedro alejandro fernando pablo jorge luis
alberto diego sergio andrés ricardo enrique eduardo ramón raúl rubén ignacio gonzalo beltran landerico
maría carmen josefa isabel dolores pilar teresa ana laura cristina marta lucía paula elena raquel rosa silvia
mercedes rocío beatriz patricia sofía valeria camila daniela gabriela samira
joão antónio manuel francisco pedro tiago rui paulo miguel ricardo nuno bruno andré gonçalo
jan piotr krzysztof andrzej tomasz paweł michał marcin grzegorz józef marek adam łukasz stanisław juliusz
anna maria katarzyna małgorzata agnieszka barbara ewa krystyna magdalena joanna aleksandra zofia wacława
jiří petr josef pavel martin tomáš jaroslav miroslav zdeněk václav karel milan vladimír jindřich lukáš
jana eva hana lenka kateřina lucie věra alena petra veronika
lászló istván józsef jános zoltán sándor gábor ferenc attila péter tamás zsolt tibor andrás csaba imre
erzsébet katalin ilona éva anna zsuzsanna mária judit ágnes andrea krisztina tzigane
ivan dmitri sergei alexei andrei nikolai vladimir mikhail pavel yuri oleg igor boris viktor anatoly
olga tatiana natalia elena irina svetlana anna maria ekaterina yelena ludmila galina
mohammed muhammad ahmed ali omar hassan hussein ibrahim yusuf khalid mustafa abdullah mahmoud fatima aisha
zainab maryam layla nour amira yasmin esat
wei li ming jun hui jing xin yan lei tao hao yu chen hiroshi takashi kenji yuki haruto sakura yui riku
raj rahul amit sanjay vijay arjun ravi anil suresh ramesh priya anjali sunita pooja neha deepa kavita
kwame kofi ama chidi ngozi oluwaseun tunde emeka
liam oliver lucas mia amelia harper evelyn aria scarlett chloe penelope layla riley zoey nora lily eleanor
hazel violet aurora savannah audrey brooklyn bella claire skylar lucy paisley everly caroline nova genesis
emilia kennedy maya willow kinsley naomi aaliyah elena sarah ariana allison gabriella alice madelyn cora ruby
eva serenity autumn adeline hailey gianna valentina isla eliana quinn nevaeh ivy sadie piper lydia alexa
josephine emery julia delilah arianna vivian kaylee sophie brielle madeline tintin manuel alexandra scott
cormac debra jennifer diana orva sue erik tom milena keijo jonas kyle magda brad philip valentine maciej
`

const surnamesList = `
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera
campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart
morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim
cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo
sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell coleman butler
henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds
griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford
castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman
webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon
munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer
hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham duncan armstrong
hudson carroll lane riley andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards
contreras willis carpenter lawrence sandoval guerrero george chapman rios estrada ortega watkins greene
nunez wheeler valdez harper burke larson santiago maldonado morrison franklin carlson austin dominguez
carr lawson jacobs obrien lynch singh vega bishop montgomery oliver jensen harvey williamson gilbert dean
sims espinoza howell li wong reid hanson le mccoy garrett burton fuller wang weber welch rojas lucas marquez
fields park yang little banks padilla day walsh bowman schultz luna fowler mejia davidson acosta brewer may
holland juarez newman pearson curtis cortez douglas schneider joseph barrett navarro figueroa keller avila
wade molina stanley hopkins campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala
lowe frazier powers neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings
watts duran walters cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry hale leon hail
benson haynes horton miles lyons pham graves bush thornton wolfe warner cabrera mckinney mann zimmerman
dawson lara fletcher page mccarthy love robles cervantes solis erickson reeves chang klein salinas fuentes
baldwin daniel simon velasquez hardy higgins aguirre lin cummings chandler sharp barber bowen ochoa dennis
robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross calderon quinn moss swanson
chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry mclaughlin
harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady goodman roman
webster goodwin fischer huang potter delacruz montoya todd wu hines mullins castaneda malone cannon tate
mack sherman hubbard hodges zhang guerra wolf valencia saunders franco rowe gallagher farmer hammond
hampton townsend ingram wise gallegos clarke barton schroeder maxwell waters logan camacho strickland
norman person colon parsons frank harrington glover osborne buchanan casey floyd patton ibarra ball tyler
suarez bowers orozco salas cobb gibbs andrade bauer conner moody escobar mcguire lloyd mueller hartman
french kramer mcbride pope lindsey velazquez norton mccormick sparks flynn yates hogan marsh macias
villanueva zamora pratt stokes owen ballard lang brock villarreal charles drake barrera cain patrick pineda
burnett mercado santana shepherd bautista ali shaffer lamb trevino mckenzie hess beil olsen cochran
müller schmidt schneider fischer weber meyer wagner becker schulz hoffmann koch richter klein wolf schröder
neumann schwarz zimmermann braun krüger hofmann hartmann lange schmitt werner krause meier lehmann
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti de luca mancini
costa giordano rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara galli
martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre michel
garcía fernández gonzález rodríguez lópez martínez sánchez pérez gómez martín jiménez ruiz hernández díaz
moreno muñoz álvarez romero alonso gutiérrez navarro torres domínguez vázquez ramos gil ramírez serrano
silva santos ferreira pereira oliveira costa rodrigues martins jesus sousa fernandes gonçalves gomes
nowak kowalski wiśniewski wójcik kowalczyk kamiński lewandowski zieliński szymański woźniak dąbrowski
novák svoboda novotný dvořák černý procházka kučera veselý horák němec marek pospíšil
nagy kovács tóth szabó horváth varga kiss molnár németh farkas balogh papp takács juhász lakatos
ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov
hansen johansen olsen larsen andersen pedersen nielsen kristiansen jensen karlsen johnsen pettersen
eriksen berg haugen hagen johannessen andreassen jacobsen dahl jørgensen halvorsen henriksen lund
andersson johansson karlsson nilsson eriksson larsson olsson persson svensson gustafsson pettersson
korhonen virtanen mäkinen nieminen mäkelä hämäläinen laine heikkinen koskinen järvinen lehtonen
yamamoto tanaka suzuki watanabe ito nakamura kobayashi kato yoshida yamada sasaki
`

// surnameSuffixes mark surname-like words across languages.
var surnameSuffixes = []string{
	"sson", "sen", "dóttir", "dottir", "ović", "ovic", "ević", "ić", "ski", "ska", "sky", "cki", "cka",
	"ová", "ov", "ova", "ev", "eva", "enko", "escu", "poulos", "idis", "akis", "yan", "ian", "oglu",
	"ez", "ini", "elli", "etti", "ucci", "ainen", "inen", "berg", "stein", "mann", "ström", "qvist",
	"lund", "gaard", "gård", "shvili", "dze", "wicz", "czyk", "ák", "ík", "ek", "ný", "ský",
}

// Words that look like names when capitalized but rarely are.
const notNamesList = `
the a an and or but if in on at to for of from by with as is are was were be been this that these those
it its he she they we you i my your our their his her me him them us who what when where why how which
hello hi dear thanks thank regards sincerely best please yes no ok okay sir madam mr mrs ms dr prof
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today tomorrow yesterday morning evening night
street st avenue ave road rd lane ln drive dr boulevard blvd court ct place pl suite apt apartment unit
inc llc ltd corp corporation company co group bank university college school hospital
title act the customer user bot agent assistant system admin name address phone email card number
capitalized words wisdom discipline chapter section page figure table note also however therefore
can could would should will shall must might new old north south east west city state country
`

// nrpList: nationalities and demonyms, languages, religions and political
// groups, written from general knowledge.
const nrpList = `
american british english scottish welsh irish canadian mexican brazilian argentinian argentine chilean
peruvian colombian venezuelan cuban uruguayan paraguayan bolivian ecuadorian guatemalan honduran salvadoran
nicaraguan panamanian dominican haitian jamaican french german italian spanish portuguese dutch belgian
swiss austrian swedish norwegian danish finnish icelandic estonian latvian lithuanian polish czech slovak
slovenian slovene croatian serbian bosnian montenegrin macedonian albanian greek cypriot turkish bulgarian
romanian moldovan hungarian ukrainian belarusian russian georgian armenian azerbaijani kazakh uzbek turkmen
kyrgyz tajik afghan pakistani indian bangladeshi nepalese nepali bhutanese chinese japanese korean mongolian
taiwanese vietnamese thai cambodian laotian burmese malaysian singaporean indonesian filipino australian
iranian persian iraqi syrian lebanese jordanian israeli palestinian saudi emirati qatari kuwaiti bahraini
omani yemeni egyptian libyan tunisian algerian moroccan sudanese ethiopian eritrean somali kenyan ugandan
tanzanian rwandan congolese nigerian ghanaian senegalese malian ivorian cameroonian angolan zambian
zimbabwean mozambican namibian malagasy arab european asian african latino latina hispanic nordic
scandinavian slavic kurdish tamil punjabi bengali hindi urdu hebrew arabic swahili mandarin cantonese
maori aboriginal inuit chechen dagestani tatar greenlandic faroese bruneian surinamese guyanese
belizean trinidadian barbadian bahamian fijian samoan tongan papuan timorese mauritian seychellois comorian
djiboutian gabonese togolese beninese burkinabe chadian liberian gambian guinean malawian swazi
liechtensteiner luxembourgish luxembourger monegasque andorran maltese sammarinese kosovar englishman
englishmen frenchman frenchmen scotsman welshman irishman dane danes swede swedes brit brits briton britons
scot scots
christian catholic protestant orthodox evangelical lutheran anglican baptist methodist mormon muslim
islamic sunni shia shiite jewish buddhist hindu sikh jain atheist agnostic
democrat democrats republican republicans conservative conservatives liberal liberals socialist communist
labour tory tories libertarian
`

const titlesList = `mr mrs ms miss dr prof sir madam mx mister dame lord lady rev father sister brother`

const weekdaysList = `monday tuesday wednesday thursday friday saturday sunday`

var months = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
	"jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

// Street-type words (English and others) that end a street name.
const streetSuffixWordsList = `
street st str avenue ave av road rd lane ln drive dr boulevard blvd bd court ct place pl way terrace ter
circle cir parkway pkwy square sq trail trl highway hwy greens green crescent cres close gardens gdns park
hill hills view row walk mews grove path plaza alley loop pike ridge run point heights junction crossing
estates meadows valley ports squares falls fields flats forge harbor harbour haven isle knolls landing lights mill
mission orchard pass pines plains port prairie rapids rest river shore shores springs station stream summit
throughway tunnel turnpike underpass union vista villages village well wells expressway freeway glen glens
common commons corner creek dale dam divide estate extension fork forks fort garden gateway grant haven
heights island islands junctions key keys knoll lake lakes land light locks lodge manor meadow motorway
oval overpass pine pines ramp ranch ridge ridges route shoal skyway spring spur stravenue track trafficway
trace turnpike via vista wall ways wharf strasse straße gade vej u utca tér út kapu gata gatan vägen katu weg
`

// Words that start a street name in Romance/Slavic/other languages.
const streetPrefixWordsList = `
rue avenue boulevard chemin allée allee impasse quai route place cours via viale piazza piazzale corso
largo vicolo calle avenida avda paseo plaza carrer carretera camino rua travessa praça estrada alameda
ul ulica aleja al plac osiedle utca út tér körút strada bulevardul calea ulitsa prospekt
`

// Suffixes that mark a street name in Germanic, Nordic, Baltic, Finnish, Dutch, Hungarian, Czech...
var streetWordSuffixes = []string{
	"strasse", "straße", "str.", "gasse", "weg", "allee", "platz", "ring", "damm", "ufer", "steig",
	"katu", "tie", "kuja", "polku", "raitti", "gatan", "vägen", "väg", "gränd", "gade", "vej", "veien",
	"vegen", "gata", "stræde", "laan", "straat", "plein", "kade", "gracht", "singel", "dreef", "utca",
	"ulice", "náměstí", "cesta", "sokak", "caddesi", "bulvarı", "iela", "gatve", "tänav", "maantee",
	"gata", "stien", "bakken", "veien", "ranta", "rinne", "mäki",
}

// Country and a few region names (LOCATION).
const countriesList = `
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain
bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria
burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba cyprus czechia
denmark djibouti dominica ecuador egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia
georgia germany ghana greece greenland grenada guatemala guinea guyana haiti honduras hungary iceland india
indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati kosovo kuwait
kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi
malaysia maldives mali malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro
morocco mozambique myanmar namibia nauru nepal netherlands nicaragua niger nigeria norway oman pakistan
palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland
syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey turkmenistan tuvalu uganda ukraine
uruguay uzbekistan vanuatu venezuela vietnam yemen zambia zimbabwe england scotland wales
`

// Multi-word countries (lower case, single spaces).
var countryPhrases = []string{
	"united states", "united kingdom", "new zealand", "south africa", "czech republic", "south korea",
	"north korea", "saudi arabia", "united arab emirates", "sri lanka", "costa rica", "puerto rico",
	"el salvador", "dominican republic", "ivory coast", "hong kong", "new caledonia", "faroe islands",
	"north macedonia", "san marino", "sierra leone", "papua new guinea", "cape verde", "east timor",
}

const citiesList = `
london paris berlin madrid rome vienna amsterdam brussels copenhagen stockholm oslo helsinki reykjavik
dublin lisbon warsaw prague budapest athens bern zurich geneva munich hamburg frankfurt milan naples
barcelona valencia seville lyon marseille toulouse nice tallinn riga vilnius kraków krakow gdańsk gdansk
tokyo beijing shanghai delhi mumbai bangalore sydney melbourne toronto vancouver montreal chicago boston
seattle houston dallas phoenix denver atlanta miami edmonton calgary ottawa auckland wellington nicosia
montevideo aalborg tubize toronto
`
