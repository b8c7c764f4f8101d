"""Registries the STIX 2.1 validation checks against, copied from stix2-validator 3.3
(v21/enums.py and its IANA assets): language codes, software language codes, character sets
and media types. Data, not logic; tests/core/validation/test_equivalence.py checks that they still
match the installed validator.
"""

from __future__ import annotations

LANGUAGES = frozenset("""
    af af-ZA ar ar-AE ar-BH ar-DZ ar-EG ar-IQ ar-JO ar-KW ar-LB ar-LY ar-MA ar-OM ar-QA ar-SA ar-SY
    ar-TN ar-YE az az-AZ az-Cyrl-AZ be be-BY bg bg-BG bs-BA ca ca-ES cs cs-CZ cy cy-GB da da-DK de
    de-AT de-CH de-DE de-LI de-LU dv dv-MV el el-GR en en-AU en-BZ en-CA en-CB en-GB en-IE en-JM
    en-NZ en-PH en-TT en-US en-ZA en-ZW eo es es-AR es-BO es-CL es-CO es-CR es-DO es-EC es-ES es-GT
    es-HN es-MX es-NI es-PA es-PE es-PR es-PY es-SV es-UY es-VE et et-EE eu eu-ES fa fa-IR fi fi-FI
    fo fo-FO fr fr-BE fr-CA fr-CH fr-FR fr-LU fr-MC gl gl-ES gu gu-IN he he-IL hi hi-IN hr hr-BA
    hr-HR hu hu-HU hy hy-AM id id-ID is is-IS it it-CH it-IT ja ja-JP ka ka-GE kk kk-KZ kn kn-IN ko
    ko-KR kok kok-IN ky ky-KG lt lt-LT lv lv-LV mi mi-NZ mk mk-MK mn mn-MN mr mr-IN ms ms-BN ms-MY
    mt mt-MT nb nb-NO nl nl-BE nl-NL nn-NO ns ns-ZA pa pa-IN pl pl-PL ps ps-AR pt pt-BR pt-PT qu
    qu-BO qu-EC qu-PE ro ro-RO ru ru-RU sa sa-IN se se-FI se-NO se-SE sk sk-SK sl sl-SI sq sq-AL
    sr-BA sr-Cyrl-BA sr-SP sr-Cyrl-SP sv sv-FI sv-SE sw sw-KE syr syr-SY ta ta-IN te te-IN th th-TH
    tl tl-PH tn tn-ZA tr tr-TR tt tt-RU ts uk uk-UA ur ur-PK uz uz-UZ uz-Cyrl-UZ vi vi-VN xh xh-ZA
    zh zh-CN zh-HK zh-MO zh-SG zh-TW zu zu-ZA
""".split())

SOFTWARE_LANGUAGES = frozenset("""
    aar abk ace ach ada ady afa afh afr ain aka akk alb ale alg alt amh ang anp apa ara arc arg arm
    arn arp art arw asm ast ath aus ava ave awa aym aze bad bai bak bal bam ban baq bas bat bej bel
    bem ben ber bho bih bik bin bis bla bnt bod bos bra bre btk bua bug bul bur byn cad cai car cat
    cau ceb cel ces cha chb che chg chi chk chm chn cho chp chr chu chv chy cmc cop cor cos cpe cpf
    cpp cre crh crp csb cus cym cze dak dan dar day del den deu dgr din div doi dra dsb dua dum dut
    dyu dzo efi egy eka ell elx eng enm epo est eus ewe ewo fan fao fas fat fij fil fin fiu fon fra
    fre frm fro frr frs fry ful fur gaa gay gba gem geo ger gez gil gla gle glg glv gmh goh gon gor
    got grb grc gre grn gsw guj gwi hai hat hau haw heb her hil him hin hit hmn hmo hrv hsb hun hup
    hye iba ibo ice ido iii ijo iku ile ilo ina inc ind ine inh ipk ira iro isl ita jav jbo jpn jpr
    jrb kaa kab kac kal kam kan kar kas kat kau kaw kaz kbd kha khi khm kho kik kin kir kmb kok kom
    kon kor kos kpe krc krl kro kru kua kum kur kut lad lah lam lao lat lav lez lim lin lit lol loz
    ltz lua lub lug lui lun luo lus mac mad mag mah mai mak mal man mao map mar mas may mdf mdr men
    mga mic min mis mkd mkh mlg mlt mnc mni mno moh mon mos mri msa mul mun mus mwl mwr mya myn myv
    nah nai nap nau nav nbl nde ndo nds nep new nia nic niu nld nno nob nog non nor nqo nso nub nwc
    nya nym nyn nyo nzi oci oji ori orm osa oss ota oto paa pag pal pam pan pap pau peo per phi phn
    pli pol pon por pra pro pus qaa-qtz que raj rap rar roa roh rom ron rum run rup rus sad sag sah
    sai sal sam san sas sat scn sco sel sem sga sgn shn sid sin sio sit sla slk slo slv sma sme smi
    smj smn smo sms sna snd snk sog som son sot spa sqi srd srn srp srr ssa ssw suk sun sus sux swa
    swe syc syr tah tai tam tat tel tem ter tet tgk tgl tha tib tig tir tiv tkl tlh tli tmh tog ton
    tpi tsi tsn tso tuk tum tup tur tut tvl twi tyv udm uga uig ukr umb und urd uzb vai ven vie vol
    vot wak wal war was wel wen wln wol xal xho yao yap yid yor ypk zap zbl zen zgh zha zho znd zul
    zun zxx zza
""".split())

CHARACTER_SETS = frozenset("""
    US-ASCII ISO-8859-1 ISO-8859-2 ISO-8859-3 ISO-8859-4 ISO-8859-5 ISO-8859-6 ISO-8859-7
    ISO-8859-8 ISO-8859-9 ISO-8859-10 ISO_6937-2-add JIS_X0201 JIS_Encoding Shift_JIS EUC-JP
    Extended_UNIX_Code_Fixed_Width_for_Japanese BS_4730 SEN_850200_C IT ES DIN_66003 NS_4551-1
    NF_Z_62-010 ISO-10646-UTF-1 ISO_646.basic:1983 INVARIANT ISO_646.irv:1983 NATS-SEFI
    NATS-SEFI-ADD NATS-DANO NATS-DANO-ADD SEN_850200_B KS_C_5601-1987 ISO-2022-KR EUC-KR
    ISO-2022-JP ISO-2022-JP-2 JIS_C6220-1969-jp JIS_C6220-1969-ro PT greek7-old latin-greek
    NF_Z_62-010_(1973) Latin-greek-1 ISO_5427 JIS_C6226-1978 BS_viewdata INIS INIS-8 INIS-cyrillic
    ISO_5427:1981 ISO_5428:1980 GB_1988-80 GB_2312-80 NS_4551-2 videotex-suppl PT2 ES2 MSZ_7795.3
    JIS_C6226-1983 greek7 ASMO_449 iso-ir-90 JIS_C6229-1984-a JIS_C6229-1984-b JIS_C6229-1984-b-add
    JIS_C6229-1984-hand JIS_C6229-1984-hand-add JIS_C6229-1984-kana ISO_2033-1983 ANSI_X3.110-1983
    T.61-7bit T.61-8bit ECMA-cyrillic CSA_Z243.4-1985-1 CSA_Z243.4-1985-2 CSA_Z243.4-1985-gr
    ISO-8859-6-E ISO-8859-6-I T.101-G2 ISO-8859-8-E ISO-8859-8-I CSN_369103 JUS_I.B1.002 IEC_P27-1
    JUS_I.B1.003-serb JUS_I.B1.003-mac greek-ccitt NC_NC00-10:81 ISO_6937-2-25 GOST_19768-74
    ISO_8859-supp ISO_10367-box latin-lap JIS_X0212-1990 DS_2089 us-dk dk-us KSC5636
    UNICODE-1-1-UTF-7 ISO-2022-CN ISO-2022-CN-EXT UTF-8 ISO-8859-13 ISO-8859-14 ISO-8859-15
    ISO-8859-16 GBK GB18030 OSD_EBCDIC_DF04_15 OSD_EBCDIC_DF03_IRV OSD_EBCDIC_DF04_1 ISO-11548-1
    KZ-1048 ISO-10646-UCS-2 ISO-10646-UCS-4 ISO-10646-UCS-Basic ISO-10646-Unicode-Latin1
    ISO-10646-J-1 ISO-Unicode-IBM-1261 ISO-Unicode-IBM-1268 ISO-Unicode-IBM-1276
    ISO-Unicode-IBM-1264 ISO-Unicode-IBM-1265 UNICODE-1-1 SCSU UTF-7 UTF-16BE UTF-16LE UTF-16
    CESU-8 UTF-32 UTF-32BE UTF-32LE BOCU-1 UTF-7-IMAP ISO-8859-1-Windows-3.0-Latin-1
    ISO-8859-1-Windows-3.1-Latin-1 ISO-8859-2-Windows-Latin-2 ISO-8859-9-Windows-Latin-5 hp-roman8
    Adobe-Standard-Encoding Ventura-US Ventura-International DEC-MCS IBM850 PC8-Danish-Norwegian
    IBM862 PC8-Turkish IBM-Symbols IBM-Thai HP-Legal HP-Pi-font HP-Math8 Adobe-Symbol-Encoding
    HP-DeskTop Ventura-Math Microsoft-Publishing Windows-31J GB2312 Big5 macintosh IBM037 IBM038
    IBM273 IBM274 IBM275 IBM277 IBM278 IBM280 IBM281 IBM284 IBM285 IBM290 IBM297 IBM420 IBM423
    IBM424 IBM437 IBM500 IBM851 IBM852 IBM855 IBM857 IBM860 IBM861 IBM863 IBM864 IBM865 IBM868
    IBM869 IBM870 IBM871 IBM880 IBM891 IBM903 IBM904 IBM905 IBM918 IBM1026 EBCDIC-AT-DE
    EBCDIC-AT-DE-A EBCDIC-CA-FR EBCDIC-DK-NO EBCDIC-DK-NO-A EBCDIC-FI-SE EBCDIC-FI-SE-A EBCDIC-FR
    EBCDIC-IT EBCDIC-PT EBCDIC-ES EBCDIC-ES-A EBCDIC-ES-S EBCDIC-UK EBCDIC-US UNKNOWN-8BIT MNEMONIC
    MNEM VISCII VIQR KOI8-R HZ-GB-2312 IBM866 IBM775 KOI8-U IBM00858 IBM00924 IBM01140 IBM01141
    IBM01142 IBM01143 IBM01144 IBM01145 IBM01146 IBM01147 IBM01148 IBM01149 Big5-HKSCS IBM1047
    PTCP154 Amiga-1251 KOI7-switched BRF TSCII CP51932 windows-874 windows-1250 windows-1251
    windows-1252 windows-1253 windows-1254 windows-1255 windows-1256 windows-1257 windows-1258
    TIS-620 CP50220
""".split())

_MEDIA_SUBTYPES = {
    "application": """
        1d-interleaved-parityfec 3gpdash-qoe-report+xml 3gpp-ims+xml 3gppHal+json 3gppHalForms+json
        A2L AML ATF ATFX ATXML CALS-1840 CDFX+XML CEA CSTAdata+xml DCD DII DIT EDI-X12 EDI-consent
        EDIFACT EmergencyCallData.Comment+xml EmergencyCallData.Control+xml
        EmergencyCallData.DeviceInfo+xml EmergencyCallData.LegacyESN+json
        EmergencyCallData.ProviderInfo+xml EmergencyCallData.ServiceInfo+xml
        EmergencyCallData.SubscriberInfo+xml EmergencyCallData.VEDS+xml EmergencyCallData.cap+xml
        EmergencyCallData.eCall.MSD H224 IOTP ISUP LXF MF4 ODA ODX PDX QSIG SGML TETRA_ISI ace+cbor
        ace+json activemessage activity+json aif+cbor aif+json alto-cdni+json alto-cdnifilter+json
        alto-costmap+json alto-costmapfilter+json alto-directory+json alto-endpointcost+json
        alto-endpointcostparams+json alto-endpointprop+json alto-endpointpropparams+json
        alto-error+json alto-networkmap+json alto-networkmapfilter+json alto-propmap+json
        alto-propmapparams+json alto-updatestreamcontrol+json alto-updatestreamparams+json
        andrew-inset applefile at+jwt atom+xml atomcat+xml atomdeleted+xml atomicmail atomsvc+xml
        atsc-dwd+xml atsc-dynamic-event-message atsc-held+xml atsc-rdt+json atsc-rsat+xml
        auth-policy+xml automationml-aml+xml automationml-amlx+zip bacnet-xdd+zip batch-SMTP
        beep+xml c2pa calendar+json calendar+xml call-completion captive+json cbor cbor-seq cccex
        ccmp+xml ccxml+xml cda+xml cdmi-capability cdmi-container cdmi-domain cdmi-object
        cdmi-queue cdni cea-2018+xml cellml+xml cfw cid-edhoc+cbor-seq city+json clr clue+xml
        clue_info+xml cms cnrp+xml coap-group+json coap-payload commonground
        concise-problem-details+cbor conference-info+xml cose cose-key cose-key-set cose-x509
        cpl+xml csrattrs csta+xml csvm+json cwl cwl+json cwt cybercash dash+xml dash-patch+xml
        dashdelta davmount+xml dca-rft dec-dx dialog-info+xml dicom dicom+json dicom+xml dns
        dns+json dns-message dots+cbor dpop+jwt dskpp+xml dssc+der dssc+xml dvcs ecmascript
        edhoc+cbor-seq efi elm+json elm+xml emma+xml emotionml+xml encaprtp epp+xml epub+zip eshop
        example exi expect-ct-report+json express fastinfoset fastsoap fdf fdt+xml fhir+json
        fhir+xml fits flexfec font-sfnt font-tdpfr font-woff framework-attributes+xml geo+json
        geo+json-seq geopackage+sqlite3 geoxacml+json geoxacml+xml gltf-buffer gml+xml gzip
        held+xml hl7v2+xml http hyperstudio ibe-key-request+xml ibe-pkg-reply+xml ibe-pp-data iges
        im-iscomposing+xml index index.cmd index.obj index.response index.vnd inkml+xml ipfix ipp
        its+xml java-archive javascript jf2feed+json jose jose+json jrd+json jscalendar+json
        jscontact+json json json-patch+json json-seq jsonpath jwk+json jwk-set+json jwt
        kpml-request+xml kpml-response+xml ld+json lgr+xml link-format linkset linkset+json
        load-control+xml logout+jwt lost+xml lostsync+xml lpf+zip mac-binhex40 macwriteii mads+xml
        manifest+json marc marcxml+xml mathematica mathml+xml mathml-content+xml
        mathml-presentation+xml mbms-associated-procedure-description+xml mbms-deregister+xml
        mbms-envelope+xml mbms-msk+xml mbms-msk-response+xml mbms-protection-description+xml
        mbms-reception-report+xml mbms-register+xml mbms-register-response+xml mbms-schedule+xml
        mbms-user-service-description+xml mbox media-policy-dataset+xml media_control+xml
        mediaservercontrol+xml merge-patch+json metalink4+xml mets+xml mikey mipc
        missing-blocks+cbor-seq mmt-aei+xml mmt-usd+xml mods+xml moss-keys moss-signature
        mosskey-data mosskey-request mp21 mp4 mpeg4-generic mpeg4-iod mpeg4-iod-xmt
        mrb-consumer+xml mrb-publish+xml msc-ivr+xml msc-mixer+xml msword mud+json multipart-core
        mxf n-quads n-triples nasdata news-checkgroups news-groupinfo news-transmission nlsml+xml
        node nss oauth-authz-req+jwt oblivious-dns-message ocsp-request ocsp-response octet-stream
        odm+xml oebps-package+xml ogg ohttp-keys opc-nodeset+xml oscore oxps p21 p21+zip
        p2p-overlay+xml parityfec passport patch-ops-error+xml pdf pem-certificate-chain
        pgp-encrypted pgp-keys pgp-signature pidf+xml pidf-diff+xml pkcs10 pkcs12 pkcs7-mime
        pkcs7-signature pkcs8 pkcs8-encrypted pkix-attr-cert pkix-cert pkix-crl pkix-pkipath
        pkixcmp pls+xml poc-settings+xml postscript ppsp-tracker+json
        private-token-issuer-directory private-token-request private-token-response problem+json
        problem+xml provenance+xml prs.alvestrand.titrax-sheet prs.cww prs.cyn prs.hpub+zip
        prs.implied-document+xml prs.implied-executable prs.implied-structure prs.nprend
        prs.plucker prs.rdf-xml-crypt prs.vcfbzip2 prs.xsf+xml pskc+xml pvd+json raptorfec
        rdap+json rdf+xml reginfo+xml relax-ng-compact-syntax remote-printing reputon+json
        resource-lists+xml resource-lists-diff+xml rfc+xml riscos rlmi+xml rls-services+xml
        route-apd+xml route-s-tsid+xml route-usd+xml rpki-checklist rpki-ghostbusters rpki-manifest
        rpki-publication rpki-roa rpki-updown rtf rtploopback rtx samlassertion+xml
        samlmetadata+xml sarif+json sarif-external-properties+json sbe sbml+xml scaip+xml scim+json
        scvp-cv-request scvp-cv-response scvp-vp-request scvp-vp-response sdp secevent+jwt
        senml+cbor senml+json senml+xml senml-etch+cbor senml-etch+json senml-exi sensml+cbor
        sensml+json sensml+xml sensml-exi sep+xml sep-exi session-info set-payment
        set-payment-initiation set-registration set-registration-initiation sgml-open-catalog
        shf+xml sieve simple-filter+xml simple-message-summary simpleSymbolContainer sipc slate
        smil smil+xml smpte336m soap+fastinfoset soap+xml sparql-query sparql-results+xml spdx+json
        spirits-event+xml sql srgs srgs+xml sru+xml ssml+xml stix+json swid+cbor swid+xml
        tamp-apex-update tamp-apex-update-confirm tamp-community-update
        tamp-community-update-confirm tamp-error tamp-sequence-adjust tamp-sequence-adjust-confirm
        tamp-status-query tamp-status-response tamp-update tamp-update-confirm taxii+json td+json
        tei+xml thraud+xml timestamp-query timestamp-reply timestamped-data tlsrpt+gzip tlsrpt+json
        tm+json tnauthlist token-introspection+jwt trickle-ice-sdpfrag trig ttml+xml tve-trigger
        tzif tzif-leap ulpfec urc-grpsheet+xml urc-ressheet+xml urc-targetdesc+xml
        urc-uisocketdesc+xml vcard+json vcard+xml vemmi vnd.1000minds.decision-model+xml vnd.1ob
        vnd.3M.Post-it-Notes vnd.3gpp-prose+xml vnd.3gpp-prose-pc3a+xml vnd.3gpp-prose-pc3ach+xml
        vnd.3gpp-prose-pc3ch+xml vnd.3gpp-prose-pc8+xml vnd.3gpp-v2x-local-service-information
        vnd.3gpp.5gnas vnd.3gpp.GMOP+xml vnd.3gpp.SRVCC-info+xml
        vnd.3gpp.access-transfer-events+xml vnd.3gpp.bsf+xml vnd.3gpp.crs+xml
        vnd.3gpp.current-location-discovery+xml vnd.3gpp.gtpc vnd.3gpp.interworking-data
        vnd.3gpp.lpp vnd.3gpp.mc-signalling-ear vnd.3gpp.mcdata-affiliation-command+xml
        vnd.3gpp.mcdata-info+xml vnd.3gpp.mcdata-msgstore-ctrl-request+xml vnd.3gpp.mcdata-payload
        vnd.3gpp.mcdata-regroup+xml vnd.3gpp.mcdata-service-config+xml vnd.3gpp.mcdata-signalling
        vnd.3gpp.mcdata-ue-config+xml vnd.3gpp.mcdata-user-profile+xml
        vnd.3gpp.mcptt-affiliation-command+xml vnd.3gpp.mcptt-floor-request+xml
        vnd.3gpp.mcptt-info+xml vnd.3gpp.mcptt-location-info+xml vnd.3gpp.mcptt-mbms-usage-info+xml
        vnd.3gpp.mcptt-regroup+xml vnd.3gpp.mcptt-service-config+xml vnd.3gpp.mcptt-signed+xml
        vnd.3gpp.mcptt-ue-config+xml vnd.3gpp.mcptt-ue-init-config+xml
        vnd.3gpp.mcptt-user-profile+xml vnd.3gpp.mcvideo-affiliation-command+xml
        vnd.3gpp.mcvideo-affiliation-info+xml vnd.3gpp.mcvideo-info+xml
        vnd.3gpp.mcvideo-location-info+xml vnd.3gpp.mcvideo-mbms-usage-info+xml
        vnd.3gpp.mcvideo-regroup+xml vnd.3gpp.mcvideo-service-config+xml
        vnd.3gpp.mcvideo-transmission-request+xml vnd.3gpp.mcvideo-ue-config+xml
        vnd.3gpp.mcvideo-user-profile+xml vnd.3gpp.mid-call+xml vnd.3gpp.ngap vnd.3gpp.pfcp
        vnd.3gpp.pic-bw-large vnd.3gpp.pic-bw-small vnd.3gpp.pic-bw-var vnd.3gpp.s1ap
        vnd.3gpp.seal-group-doc+xml vnd.3gpp.seal-info+xml vnd.3gpp.seal-location-info+xml
        vnd.3gpp.seal-mbms-usage-info+xml vnd.3gpp.seal-network-QoS-management-info+xml
        vnd.3gpp.seal-ue-config-info+xml vnd.3gpp.seal-unicast-info+xml
        vnd.3gpp.seal-user-profile-info+xml vnd.3gpp.sms vnd.3gpp.sms+xml vnd.3gpp.srvcc-ext+xml
        vnd.3gpp.state-and-event-info+xml vnd.3gpp.ussd+xml vnd.3gpp.v2x vnd.3gpp.vae-info+xml
        vnd.3gpp2.bcmcsinfo+xml vnd.3gpp2.sms vnd.3gpp2.tcap vnd.3lightssoftware.imagescal
        vnd.FloGraphIt vnd.HandHeld-Entertainment+xml vnd.Kinar vnd.MFER vnd.Mobius.DAF
        vnd.Mobius.DIS vnd.Mobius.MBK vnd.Mobius.MQY vnd.Mobius.MSL vnd.Mobius.PLC vnd.Mobius.TXF
        vnd.Quark.QuarkXPress vnd.RenLearn.rlprint vnd.SimTech-MindMapper vnd.accpac.simply.aso
        vnd.accpac.simply.imp vnd.acm.addressxfer+json vnd.acm.chatbot+json vnd.acucobol
        vnd.acucorp vnd.adobe.flash.movie vnd.adobe.formscentral.fcdt vnd.adobe.fxp
        vnd.adobe.partial-upload vnd.adobe.xdp+xml vnd.aether.imp vnd.afpc.afplinedata
        vnd.afpc.afplinedata-pagedef vnd.afpc.cmoca-cmresource vnd.afpc.foca-charset
        vnd.afpc.foca-codedfont vnd.afpc.foca-codepage vnd.afpc.modca vnd.afpc.modca-cmtable
        vnd.afpc.modca-formdef vnd.afpc.modca-mediummap vnd.afpc.modca-objectcontainer
        vnd.afpc.modca-overlay vnd.afpc.modca-pagesegment vnd.age vnd.ah-barcode vnd.ahead.space
        vnd.airzip.filesecure.azf vnd.airzip.filesecure.azs vnd.amadeus+json vnd.amazon.mobi8-ebook
        vnd.americandynamics.acc vnd.amiga.ami vnd.amundsen.maze+xml vnd.android.ota vnd.anki
        vnd.anser-web-certificate-issue-initiation vnd.antix.game-component vnd.apache.arrow.file
        vnd.apache.arrow.stream vnd.apache.thrift.binary vnd.apache.thrift.compact
        vnd.apache.thrift.json vnd.apexlang vnd.api+json vnd.aplextor.warrp+json
        vnd.apothekende.reservation+json vnd.apple.installer+xml vnd.apple.keynote
        vnd.apple.mpegurl vnd.apple.numbers vnd.apple.pages vnd.arastra.swi vnd.aristanetworks.swi
        vnd.artisan+json vnd.artsquare vnd.astraea-software.iota vnd.audiograph vnd.autopackage
        vnd.avalon+json vnd.avistar+xml vnd.balsamiq.bmml+xml vnd.balsamiq.bmpr
        vnd.banana-accounting vnd.bbf.usp.error vnd.bbf.usp.msg vnd.bbf.usp.msg+json
        vnd.bekitzur-stech+json vnd.belightsoft.lhzd+zip vnd.belightsoft.lhzl+zip
        vnd.bint.med-content vnd.biopax.rdf+xml vnd.blink-idb-value-wrapper vnd.blueice.multipass
        vnd.bluetooth.ep.oob vnd.bluetooth.le.oob vnd.bmi vnd.bpf vnd.bpf3 vnd.businessobjects
        vnd.byu.uapi+json vnd.bzip3 vnd.cab-jscript vnd.canon-cpdl vnd.canon-lips
        vnd.capasystems-pg+json vnd.cendio.thinlinc.clientconf vnd.century-systems.tcp_stream
        vnd.chemdraw+xml vnd.chess-pgn vnd.chipnuts.karaoke-mmd vnd.ciedi vnd.cinderella
        vnd.cirpack.isdn-ext vnd.citationstyles.style+xml vnd.claymore vnd.cloanto.rp9
        vnd.clonk.c4group vnd.cluetrust.cartomobile-config vnd.cluetrust.cartomobile-config-pkg
        vnd.cncf.helm.chart.content.v1.tar+gzip vnd.cncf.helm.chart.provenance.v1.prov
        vnd.cncf.helm.config.v1+json vnd.coffeescript vnd.collabio.xodocuments.document
        vnd.collabio.xodocuments.document-template vnd.collabio.xodocuments.presentation
        vnd.collabio.xodocuments.presentation-template vnd.collabio.xodocuments.spreadsheet
        vnd.collabio.xodocuments.spreadsheet-template vnd.collection+json vnd.collection.doc+json
        vnd.collection.next+json vnd.comicbook+zip vnd.comicbook-rar vnd.commerce-battelle
        vnd.commonspace vnd.contact.cmsg vnd.coreos.ignition+json vnd.cosmocaller vnd.crick.clicker
        vnd.crick.clicker.keyboard vnd.crick.clicker.palette vnd.crick.clicker.template
        vnd.crick.clicker.wordbank vnd.criticaltools.wbs+xml vnd.cryptii.pipe+json
        vnd.crypto-shade-file vnd.cryptomator.encrypted vnd.cryptomator.vault vnd.ctc-posml
        vnd.ctct.ws+xml vnd.cups-pdf vnd.cups-postscript vnd.cups-ppd vnd.cups-raster vnd.cups-raw
        vnd.curl vnd.cyan.dean.root+xml vnd.cybank vnd.cyclonedx+json vnd.cyclonedx+xml
        vnd.d2l.coursepackage1p0+zip vnd.d3m-dataset vnd.d3m-problem vnd.dart vnd.data-vision.rdz
        vnd.datalog vnd.datapackage+json vnd.dataresource+json vnd.dbf vnd.debian.binary-package
        vnd.dece.data vnd.dece.ttml+xml vnd.dece.unspecified vnd.dece.zip
        vnd.denovo.fcselayout-link vnd.desmume.movie vnd.dir-bi.plate-dl-nosuffix
        vnd.dm.delegation+xml vnd.dna vnd.document+json vnd.dolby.mobile.1 vnd.dolby.mobile.2
        vnd.doremir.scorecloud-binary-document vnd.dpgraph vnd.dreamfactory vnd.drive+json
        vnd.dtg.local vnd.dtg.local.flash vnd.dtg.local.html vnd.dvb.ait vnd.dvb.dvbisl+xml
        vnd.dvb.dvbj vnd.dvb.esgcontainer vnd.dvb.ipdcdftnotifaccess vnd.dvb.ipdcesgaccess
        vnd.dvb.ipdcesgaccess2 vnd.dvb.ipdcesgpdd vnd.dvb.ipdcroaming vnd.dvb.iptv.alfec-base
        vnd.dvb.iptv.alfec-enhancement vnd.dvb.notif-aggregate-root+xml vnd.dvb.notif-container+xml
        vnd.dvb.notif-generic+xml vnd.dvb.notif-ia-msglist+xml
        vnd.dvb.notif-ia-registration-request+xml vnd.dvb.notif-ia-registration-response+xml
        vnd.dvb.notif-init+xml vnd.dvb.pfr vnd.dvb.service vnd.dxr vnd.dynageo vnd.dzr
        vnd.easykaraoke.cdgdownload vnd.ecdis-update vnd.ecip.rlp vnd.eclipse.ditto+json
        vnd.ecowin.chart vnd.ecowin.filerequest vnd.ecowin.fileupdate vnd.ecowin.series
        vnd.ecowin.seriesrequest vnd.ecowin.seriesupdate vnd.efi.img vnd.efi.iso vnd.eln+zip
        vnd.emclient.accessrequest+xml vnd.enliven vnd.enphase.envoy vnd.eprints.data+xml
        vnd.epson.esf vnd.epson.msf vnd.epson.quickanime vnd.epson.salt vnd.epson.ssf
        vnd.ericsson.quickcall vnd.espass-espass+zip vnd.eszigno3+xml vnd.etsi.aoc+xml
        vnd.etsi.asic-e+zip vnd.etsi.asic-s+zip vnd.etsi.cug+xml vnd.etsi.iptvcommand+xml
        vnd.etsi.iptvdiscovery+xml vnd.etsi.iptvprofile+xml vnd.etsi.iptvsad-bc+xml
        vnd.etsi.iptvsad-cod+xml vnd.etsi.iptvsad-npvr+xml vnd.etsi.iptvservice+xml
        vnd.etsi.iptvsync+xml vnd.etsi.iptvueprofile+xml vnd.etsi.mcid+xml vnd.etsi.mheg5
        vnd.etsi.overload-control-policy-dataset+xml vnd.etsi.pstn+xml vnd.etsi.sci+xml
        vnd.etsi.simservs+xml vnd.etsi.timestamp-token vnd.etsi.tsl+xml vnd.etsi.tsl.der
        vnd.eu.kasparian.car+json vnd.eudora.data vnd.evolv.ecig.profile vnd.evolv.ecig.settings
        vnd.evolv.ecig.theme vnd.exstream-empower+zip vnd.exstream-package vnd.ezpix-album
        vnd.ezpix-package vnd.f-secure.mobile vnd.familysearch.gedcom+zip vnd.fastcopy-disk-image
        vnd.fdsn.mseed vnd.fdsn.seed vnd.ffsns vnd.ficlab.flb+zip vnd.filmit.zfc vnd.fints
        vnd.firemonkeys.cloudcell vnd.fluxtime.clip vnd.font-fontforge-sfd vnd.framemaker
        vnd.freelog.comic vnd.frogans.fnc vnd.frogans.ltf vnd.fsc.weblaunch
        vnd.fujifilm.fb.docuworks vnd.fujifilm.fb.docuworks.binder
        vnd.fujifilm.fb.docuworks.container vnd.fujifilm.fb.jfi+xml vnd.fujitsu.oasys
        vnd.fujitsu.oasys2 vnd.fujitsu.oasys3 vnd.fujitsu.oasysgp vnd.fujitsu.oasysprs
        vnd.fujixerox.ART-EX vnd.fujixerox.ART4 vnd.fujixerox.HBPL vnd.fujixerox.ddd
        vnd.fujixerox.docuworks vnd.fujixerox.docuworks.binder vnd.fujixerox.docuworks.container
        vnd.fut-misnet vnd.futoin+cbor vnd.futoin+json vnd.fuzzysheet vnd.genomatix.tuxedo
        vnd.genozip vnd.gentics.grd+json vnd.gentoo.catmetadata+xml vnd.gentoo.ebuild
        vnd.gentoo.eclass vnd.gentoo.gpkg vnd.gentoo.manifest vnd.gentoo.pkgmetadata+xml
        vnd.gentoo.xpak vnd.geo+json vnd.geocube+xml vnd.geogebra.file vnd.geogebra.slides
        vnd.geogebra.tool vnd.geometry-explorer vnd.geonext vnd.geoplan vnd.geospace vnd.gerber
        vnd.globalplatform.card-content-mgt vnd.globalplatform.card-content-mgt-response vnd.gmx
        vnd.gnu.taler.exchange+json vnd.gnu.taler.merchant+json vnd.google-earth.kml+xml
        vnd.google-earth.kmz vnd.gov.sk.e-form+xml vnd.gov.sk.e-form+zip
        vnd.gov.sk.xmldatacontainer+xml vnd.gpxsee.map+xml vnd.grafeq vnd.gridmp vnd.groove-account
        vnd.groove-help vnd.groove-identity-message vnd.groove-injector vnd.groove-tool-message
        vnd.groove-tool-template vnd.groove-vcard vnd.hal+json vnd.hal+xml vnd.hbci vnd.hc+json
        vnd.hcl-bireports vnd.hdt vnd.heroku+json vnd.hhe.lesson-player vnd.hp-HPGL vnd.hp-PCL
        vnd.hp-PCLXL vnd.hp-hpid vnd.hp-hps vnd.hp-jlyt vnd.hsl vnd.httphone
        vnd.hydrostatix.sof-data vnd.hyper+json vnd.hyper-item+json vnd.hyperdrive+json
        vnd.hzn-3d-crossword vnd.ibm.MiniPay vnd.ibm.afplinedata vnd.ibm.electronic-media
        vnd.ibm.modcap vnd.ibm.rights-management vnd.ibm.secure-container vnd.iccprofile
        vnd.ieee.1905 vnd.igloader vnd.imagemeter.folder+zip vnd.imagemeter.image+zip
        vnd.immervision-ivp vnd.immervision-ivu vnd.ims.imsccv1p1 vnd.ims.imsccv1p2
        vnd.ims.imsccv1p3 vnd.ims.lis.v2.result+json vnd.ims.lti.v2.toolconsumerprofile+json
        vnd.ims.lti.v2.toolproxy+json vnd.ims.lti.v2.toolproxy.id+json
        vnd.ims.lti.v2.toolsettings+json vnd.ims.lti.v2.toolsettings.simple+json
        vnd.informedcontrol.rms+xml vnd.informix-visionary vnd.infotech.project
        vnd.infotech.project+xml vnd.innopath.wamp.notification vnd.insors.igm vnd.intercon.formnet
        vnd.intergeo vnd.intertrust.digibox vnd.intertrust.nncp vnd.intu.qbo vnd.intu.qfx
        vnd.ipfs.ipns-record vnd.ipld.car vnd.ipld.dag-cbor vnd.ipld.dag-json vnd.ipld.raw
        vnd.iptc.g2.catalogitem+xml vnd.iptc.g2.conceptitem+xml vnd.iptc.g2.knowledgeitem+xml
        vnd.iptc.g2.newsitem+xml vnd.iptc.g2.newsmessage+xml vnd.iptc.g2.packageitem+xml
        vnd.iptc.g2.planningitem+xml vnd.ipunplugged.rcprofile vnd.irepository.package+xml
        vnd.is-xpr vnd.isac.fcs vnd.iso11783-10+zip vnd.jam vnd.japannet-directory-service
        vnd.japannet-jpnstore-wakeup vnd.japannet-payment-wakeup vnd.japannet-registration
        vnd.japannet-registration-wakeup vnd.japannet-setstore-wakeup vnd.japannet-verification
        vnd.japannet-verification-wakeup vnd.jcp.javame.midlet-rms vnd.jisp vnd.joost.joda-archive
        vnd.jsk.isdn-ngn vnd.kahootz vnd.kde.karbon vnd.kde.kchart vnd.kde.kformula vnd.kde.kivio
        vnd.kde.kontour vnd.kde.kpresenter vnd.kde.kspread vnd.kde.kword vnd.kenameaapp
        vnd.kidspiration vnd.koan vnd.kodak-descriptor vnd.las vnd.las.las+json vnd.las.las+xml
        vnd.laszip vnd.ldev.productlicensing vnd.leap+json vnd.liberty-request+xml
        vnd.llamagraphics.life-balance.desktop vnd.llamagraphics.life-balance.exchange+xml
        vnd.logipipe.circuit+zip vnd.loom vnd.lotus-1-2-3 vnd.lotus-approach vnd.lotus-freelance
        vnd.lotus-notes vnd.lotus-organizer vnd.lotus-screencam vnd.lotus-wordpro
        vnd.macports.portpkg vnd.mapbox-vector-tile vnd.marlin.drm.actiontoken+xml
        vnd.marlin.drm.conftoken+xml vnd.marlin.drm.license+xml vnd.marlin.drm.mdcf vnd.mason+json
        vnd.maxar.archive.3tz+zip vnd.maxmind.maxmind-db vnd.mcd vnd.mdl vnd.mdl-mbsdf
        vnd.medcalcdata vnd.mediastation.cdkey vnd.medicalholodeck.recordxr vnd.meridian-slingshot
        vnd.mermaid vnd.mfmp vnd.micro+json vnd.micrografx.flo vnd.micrografx.igx
        vnd.microsoft.portable-executable vnd.microsoft.windows.thumbnail-cache vnd.miele+json
        vnd.mif vnd.minisoft-hp3000-save vnd.mitsubishi.misty-guard.trustweb vnd.modl
        vnd.mophun.application vnd.mophun.certificate vnd.motorola.flexsuite
        vnd.motorola.flexsuite.adsi vnd.motorola.flexsuite.fis vnd.motorola.flexsuite.gotap
        vnd.motorola.flexsuite.kmr vnd.motorola.flexsuite.ttc vnd.motorola.flexsuite.wem
        vnd.motorola.iprm vnd.mozilla.xul+xml vnd.ms-3mfdocument vnd.ms-PrintDeviceCapabilities+xml
        vnd.ms-PrintSchemaTicket+xml vnd.ms-artgalry vnd.ms-asf vnd.ms-cab-compressed vnd.ms-excel
        vnd.ms-excel.addin.macroEnabled.12 vnd.ms-excel.sheet.binary.macroEnabled.12
        vnd.ms-excel.sheet.macroEnabled.12 vnd.ms-excel.template.macroEnabled.12 vnd.ms-fontobject
        vnd.ms-htmlhelp vnd.ms-ims vnd.ms-lrm vnd.ms-office.activeX+xml vnd.ms-officetheme
        vnd.ms-playready.initiator+xml vnd.ms-powerpoint vnd.ms-powerpoint.addin.macroEnabled.12
        vnd.ms-powerpoint.presentation.macroEnabled.12 vnd.ms-powerpoint.slide.macroEnabled.12
        vnd.ms-powerpoint.slideshow.macroEnabled.12 vnd.ms-powerpoint.template.macroEnabled.12
        vnd.ms-project vnd.ms-tnef vnd.ms-windows.devicepairing vnd.ms-windows.nwprinting.oob
        vnd.ms-windows.printerpairing vnd.ms-windows.wsd.oob vnd.ms-wmdrm.lic-chlg-req
        vnd.ms-wmdrm.lic-resp vnd.ms-wmdrm.meter-chlg-req vnd.ms-wmdrm.meter-resp
        vnd.ms-word.document.macroEnabled.12 vnd.ms-word.template.macroEnabled.12 vnd.ms-works
        vnd.ms-wpl vnd.ms-xpsdocument vnd.msa-disk-image vnd.mseq vnd.msign vnd.multiad.creator
        vnd.multiad.creator.cif vnd.music-niff vnd.musician vnd.muvee.style vnd.mynfc
        vnd.nacamar.ybrid+json vnd.nato.bindingdataobject+cbor vnd.nato.bindingdataobject+json
        vnd.nato.bindingdataobject+xml vnd.nato.openxmlformats-package.iepd+zip vnd.ncd.control
        vnd.ncd.reference vnd.nearst.inv+json vnd.nebumind.line vnd.nervana vnd.netfpx
        vnd.neurolanguage.nlu vnd.nimn vnd.nintendo.nitro.rom vnd.nintendo.snes.rom vnd.nitf
        vnd.noblenet-directory vnd.noblenet-sealer vnd.noblenet-web vnd.nokia.catalogs
        vnd.nokia.conml+wbxml vnd.nokia.conml+xml vnd.nokia.iSDS-radio-presets
        vnd.nokia.iptv.config+xml vnd.nokia.landmark+wbxml vnd.nokia.landmark+xml
        vnd.nokia.landmarkcollection+xml vnd.nokia.n-gage.ac+xml vnd.nokia.n-gage.data
        vnd.nokia.n-gage.symbian.install vnd.nokia.ncd vnd.nokia.pcd+wbxml vnd.nokia.pcd+xml
        vnd.nokia.radio-preset vnd.nokia.radio-presets vnd.novadigm.EDM vnd.novadigm.EDX
        vnd.novadigm.EXT vnd.ntt-local.content-share vnd.ntt-local.file-transfer
        vnd.ntt-local.ogw_remote-access vnd.ntt-local.sip-ta_remote vnd.ntt-local.sip-ta_tcp_stream
        vnd.oai.workflows vnd.oai.workflows+json vnd.oai.workflows+yaml vnd.oasis.opendocument.base
        vnd.oasis.opendocument.chart vnd.oasis.opendocument.chart-template
        vnd.oasis.opendocument.database vnd.oasis.opendocument.formula
        vnd.oasis.opendocument.formula-template vnd.oasis.opendocument.graphics
        vnd.oasis.opendocument.graphics-template vnd.oasis.opendocument.image
        vnd.oasis.opendocument.image-template vnd.oasis.opendocument.presentation
        vnd.oasis.opendocument.presentation-template vnd.oasis.opendocument.spreadsheet
        vnd.oasis.opendocument.spreadsheet-template vnd.oasis.opendocument.text
        vnd.oasis.opendocument.text-master vnd.oasis.opendocument.text-master-template
        vnd.oasis.opendocument.text-template vnd.oasis.opendocument.text-web vnd.obn vnd.ocf+cbor
        vnd.oci.image.manifest.v1+json vnd.oftn.l10n+json vnd.oipf.contentaccessdownload+xml
        vnd.oipf.contentaccessstreaming+xml vnd.oipf.cspg-hexbinary vnd.oipf.dae.svg+xml
        vnd.oipf.dae.xhtml+xml vnd.oipf.mippvcontrolmessage+xml vnd.oipf.pae.gem
        vnd.oipf.spdiscovery+xml vnd.oipf.spdlist+xml vnd.oipf.ueprofile+xml
        vnd.oipf.userprofile+xml vnd.olpc-sugar vnd.oma-scws-config vnd.oma-scws-http-request
        vnd.oma-scws-http-response vnd.oma.bcast.associated-procedure-parameter+xml
        vnd.oma.bcast.drm-trigger+xml vnd.oma.bcast.imd+xml vnd.oma.bcast.ltkm
        vnd.oma.bcast.notification+xml vnd.oma.bcast.provisioningtrigger vnd.oma.bcast.sgboot
        vnd.oma.bcast.sgdd+xml vnd.oma.bcast.sgdu vnd.oma.bcast.simple-symbol-container
        vnd.oma.bcast.smartcard-trigger+xml vnd.oma.bcast.sprov+xml vnd.oma.bcast.stkm
        vnd.oma.cab-address-book+xml vnd.oma.cab-feature-handler+xml vnd.oma.cab-pcc+xml
        vnd.oma.cab-subs-invite+xml vnd.oma.cab-user-prefs+xml vnd.oma.dcd vnd.oma.dcdc
        vnd.oma.dd2+xml vnd.oma.drm.risd+xml vnd.oma.group-usage-list+xml vnd.oma.lwm2m+cbor
        vnd.oma.lwm2m+json vnd.oma.lwm2m+tlv vnd.oma.pal+xml
        vnd.oma.poc.detailed-progress-report+xml vnd.oma.poc.final-report+xml
        vnd.oma.poc.groups+xml vnd.oma.poc.invocation-descriptor+xml
        vnd.oma.poc.optimized-progress-report+xml vnd.oma.push vnd.oma.scidm.messages+xml
        vnd.oma.xcap-directory+xml vnd.omads-email+xml vnd.omads-file+xml vnd.omads-folder+xml
        vnd.omaloc-supl-init vnd.onepager vnd.onepagertamp vnd.onepagertamx vnd.onepagertat
        vnd.onepagertatp vnd.onepagertatx vnd.onvif.metadata vnd.openblox.game+xml
        vnd.openblox.game-binary vnd.openeye.oeb vnd.openstreetmap.data+xml vnd.opentimestamps.ots
        vnd.openxmlformats-officedocument.custom-properties+xml
        vnd.openxmlformats-officedocument.customXmlProperties+xml
        vnd.openxmlformats-officedocument.drawing+xml
        vnd.openxmlformats-officedocument.drawingml.chart+xml
        vnd.openxmlformats-officedocument.drawingml.chartshapes+xml
        vnd.openxmlformats-officedocument.drawingml.diagramColors+xml
        vnd.openxmlformats-officedocument.drawingml.diagramData+xml
        vnd.openxmlformats-officedocument.drawingml.diagramLayout+xml
        vnd.openxmlformats-officedocument.drawingml.diagramStyle+xml
        vnd.openxmlformats-officedocument.extended-properties+xml
        vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml
        vnd.openxmlformats-officedocument.presentationml.comments+xml
        vnd.openxmlformats-officedocument.presentationml.handoutMaster+xml
        vnd.openxmlformats-officedocument.presentationml.notesMaster+xml
        vnd.openxmlformats-officedocument.presentationml.notesSlide+xml
        vnd.openxmlformats-officedocument.presentationml.presProps+xml
        vnd.openxmlformats-officedocument.presentationml.presentation
        vnd.openxmlformats-officedocument.presentationml.presentation.main+xml
        vnd.openxmlformats-officedocument.presentationml.slide
        vnd.openxmlformats-officedocument.presentationml.slide+xml
        vnd.openxmlformats-officedocument.presentationml.slideLayout+xml
        vnd.openxmlformats-officedocument.presentationml.slideMaster+xml
        vnd.openxmlformats-officedocument.presentationml.slideUpdateInfo+xml
        vnd.openxmlformats-officedocument.presentationml.slideshow
        vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml
        vnd.openxmlformats-officedocument.presentationml.tableStyles+xml
        vnd.openxmlformats-officedocument.presentationml.tags+xml
        vnd.openxmlformats-officedocument.presentationml.template
        vnd.openxmlformats-officedocument.presentationml.template.main+xml
        vnd.openxmlformats-officedocument.presentationml.viewProps+xml
        vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml
        vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml
        vnd.openxmlformats-officedocument.spreadsheetml.comments+xml
        vnd.openxmlformats-officedocument.spreadsheetml.connections+xml
        vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml
        vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml
        vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml
        vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml
        vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml
        vnd.openxmlformats-officedocument.spreadsheetml.queryTable+xml
        vnd.openxmlformats-officedocument.spreadsheetml.revisionHeaders+xml
        vnd.openxmlformats-officedocument.spreadsheetml.revisionLog+xml
        vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml
        vnd.openxmlformats-officedocument.spreadsheetml.sheet
        vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml
        vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml
        vnd.openxmlformats-officedocument.spreadsheetml.styles+xml
        vnd.openxmlformats-officedocument.spreadsheetml.table+xml
        vnd.openxmlformats-officedocument.spreadsheetml.tableSingleCells+xml
        vnd.openxmlformats-officedocument.spreadsheetml.template
        vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml
        vnd.openxmlformats-officedocument.spreadsheetml.userNames+xml
        vnd.openxmlformats-officedocument.spreadsheetml.volatileDependencies+xml
        vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml
        vnd.openxmlformats-officedocument.theme+xml
        vnd.openxmlformats-officedocument.themeOverride+xml
        vnd.openxmlformats-officedocument.vmlDrawing
        vnd.openxmlformats-officedocument.wordprocessingml.comments+xml
        vnd.openxmlformats-officedocument.wordprocessingml.document
        vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml
        vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml
        vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml
        vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml
        vnd.openxmlformats-officedocument.wordprocessingml.footer+xml
        vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml
        vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml
        vnd.openxmlformats-officedocument.wordprocessingml.settings+xml
        vnd.openxmlformats-officedocument.wordprocessingml.styles+xml
        vnd.openxmlformats-officedocument.wordprocessingml.template
        vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml
        vnd.openxmlformats-officedocument.wordprocessingml.webSettings+xml
        vnd.openxmlformats-package.core-properties+xml
        vnd.openxmlformats-package.digital-signature-xmlsignature+xml
        vnd.openxmlformats-package.relationships+xml vnd.oracle.resource+json vnd.orange.indata
        vnd.osa.netdeploy vnd.osgeo.mapguide.package vnd.osgi.bundle vnd.osgi.dp vnd.osgi.subsystem
        vnd.otps.ct-kip+xml vnd.oxli.countgraph vnd.pagerduty+json vnd.palm vnd.panoply
        vnd.paos.xml vnd.patentdive vnd.patientecommsdoc vnd.pawaafile vnd.pcos vnd.pg.format
        vnd.pg.osasli vnd.piaccess.application-licence vnd.picsel vnd.pmi.widget
        vnd.poc.group-advertisement+xml vnd.pocketlearn vnd.powerbuilder6 vnd.powerbuilder6-s
        vnd.powerbuilder7 vnd.powerbuilder7-s vnd.powerbuilder75 vnd.powerbuilder75-s vnd.preminet
        vnd.previewsystems.box vnd.proteus.magazine vnd.psfs vnd.pt.mundusmundi
        vnd.publishare-delta-tree vnd.pvi.ptid1 vnd.pwg-multiplexed vnd.pwg-xhtml-print+xml
        vnd.qualcomm.brew-app-res vnd.quarantainenet vnd.quobject-quoxdocument vnd.radisys.moml+xml
        vnd.radisys.msml+xml vnd.radisys.msml-audit+xml vnd.radisys.msml-audit-conf+xml
        vnd.radisys.msml-audit-conn+xml vnd.radisys.msml-audit-dialog+xml
        vnd.radisys.msml-audit-stream+xml vnd.radisys.msml-conf+xml vnd.radisys.msml-dialog+xml
        vnd.radisys.msml-dialog-base+xml vnd.radisys.msml-dialog-fax-detect+xml
        vnd.radisys.msml-dialog-fax-sendrecv+xml vnd.radisys.msml-dialog-group+xml
        vnd.radisys.msml-dialog-speech+xml vnd.radisys.msml-dialog-transform+xml vnd.rainstor.data
        vnd.rapid vnd.rar vnd.realvnc.bed vnd.recordare.musicxml vnd.recordare.musicxml+xml
        vnd.relpipe vnd.resilient.logic vnd.restful+json vnd.rig.cryptonote vnd.route66.link66+xml
        vnd.rs-274x vnd.ruckus.download vnd.s3sms vnd.sailingtracker.track vnd.sar vnd.sbm.cid
        vnd.sbm.mid2 vnd.scribus vnd.sealed.3df vnd.sealed.csf vnd.sealed.doc vnd.sealed.eml
        vnd.sealed.mht vnd.sealed.net vnd.sealed.ppt vnd.sealed.tiff vnd.sealed.xls
        vnd.sealedmedia.softseal.html vnd.sealedmedia.softseal.pdf vnd.seemail vnd.seis+json
        vnd.sema vnd.semd vnd.semf vnd.shade-save-file vnd.shana.informed.formdata
        vnd.shana.informed.formtemplate vnd.shana.informed.interchange vnd.shana.informed.package
        vnd.shootproof+json vnd.shopkick+json vnd.shp vnd.shx vnd.sigrok.session vnd.siren+json
        vnd.smaf vnd.smart.notebook vnd.smart.teacher vnd.smintio.portals.archive
        vnd.snesdev-page-table vnd.software602.filler.form+xml vnd.software602.filler.form-xml-zip
        vnd.solent.sdkm+xml vnd.spotfire.dxp vnd.spotfire.sfs vnd.sqlite3 vnd.sss-cod vnd.sss-dtf
        vnd.sss-ntf vnd.stepmania.package vnd.stepmania.stepchart vnd.street-stream
        vnd.sun.wadl+xml vnd.sus-calendar vnd.svd vnd.swiftview-ics vnd.sybyl.mol2 vnd.sycle+xml
        vnd.syft+json vnd.syncml+xml vnd.syncml.dm+wbxml vnd.syncml.dm+xml
        vnd.syncml.dm.notification vnd.syncml.dmddf+wbxml vnd.syncml.dmddf+xml
        vnd.syncml.dmtnds+wbxml vnd.syncml.dmtnds+xml vnd.syncml.ds.notification
        vnd.tableschema+json vnd.tao.intent-module-archive vnd.tcpdump.pcap
        vnd.think-cell.ppttc+json vnd.tmd.mediaflex.api+xml vnd.tml vnd.tmobile-livetv
        vnd.tri.onesource vnd.trid.tpt vnd.triscape.mxs vnd.trueapp vnd.truedoc
        vnd.ubisoft.webplayer vnd.ufdl vnd.uiq.theme vnd.umajin vnd.unity vnd.uoml+xml
        vnd.uplanet.alert vnd.uplanet.alert-wbxml vnd.uplanet.bearer-choice
        vnd.uplanet.bearer-choice-wbxml vnd.uplanet.cacheop vnd.uplanet.cacheop-wbxml
        vnd.uplanet.channel vnd.uplanet.channel-wbxml vnd.uplanet.list vnd.uplanet.list-wbxml
        vnd.uplanet.listcmd vnd.uplanet.listcmd-wbxml vnd.uplanet.signal vnd.uri-map
        vnd.valve.source.material vnd.vcx vnd.vd-study vnd.vectorworks vnd.vel+json
        vnd.verimatrix.vcas vnd.veritone.aion+json vnd.veryant.thin vnd.ves.encrypted
        vnd.vidsoft.vidconference vnd.visio vnd.visionary vnd.vividence.scriptfile vnd.vsf
        vnd.wap.sic vnd.wap.slc vnd.wap.wbxml vnd.wap.wmlc vnd.wap.wmlscriptc vnd.wasmflow.wafl
        vnd.webturbo vnd.wfa.dpp vnd.wfa.p2p vnd.wfa.wsc vnd.windows.devicepairing vnd.wmc
        vnd.wmf.bootstrap vnd.wolfram.mathematica vnd.wolfram.mathematica.package
        vnd.wolfram.player vnd.wordlift vnd.wordperfect vnd.wqd vnd.wrq-hp3000-labelled vnd.wt.stf
        vnd.wv.csp+wbxml vnd.wv.csp+xml vnd.wv.ssp+xml vnd.xacml+json vnd.xara vnd.xfdl
        vnd.xfdl.webform vnd.xmi+xml vnd.xmpie.cpkg vnd.xmpie.dpkg vnd.xmpie.plan vnd.xmpie.ppkg
        vnd.xmpie.xlim vnd.yamaha.hv-dic vnd.yamaha.hv-script vnd.yamaha.hv-voice
        vnd.yamaha.openscoreformat vnd.yamaha.openscoreformat.osfpvg+xml vnd.yamaha.remote-setup
        vnd.yamaha.smaf-audio vnd.yamaha.smaf-phrase vnd.yamaha.through-ngn
        vnd.yamaha.tunnel-udpencap vnd.yaoweme vnd.yellowriver-custom-menu vnd.youtube.yt vnd.zul
        vnd.zzazz.deck+xml voicexml+xml voucher-cms+json vq-rtcpxr wasm watcherinfo+xml
        webpush-options+json whoispp-query whoispp-response widget wita wordperfect5.1 wsdl+xml
        wspolicy+xml x-pki-message x-www-form-urlencoded x-x509-ca-cert x-x509-ca-ra-cert
        x-x509-next-ca-cert x400-bp xacml+xml xcap-att+xml xcap-caps+xml xcap-diff+xml xcap-el+xml
        xcap-error+xml xcap-ns+xml xcon-conference-info+xml xcon-conference-info-diff+xml xenc+xml
        xfdf xhtml+xml xliff+xml xml xml-dtd xml-external-parsed-entity xml-patch+xml xmpp+xml
        xop+xml xslt+xml xv+xml yaml yang yang-data+cbor yang-data+json yang-data+xml
        yang-patch+json yang-patch+xml yin+xml zip zlib zstd
    """,
    "audio": """
        1d-interleaved-parityfec 32kadpcm 3gpp 3gpp2 AMR AMR-WB ATRAC-ADVANCED-LOSSLESS ATRAC-X
        ATRAC3 BV16 BV32 CN DAT12 DV DVI4 EVRC EVRC-QCP EVRC0 EVRC1 EVRCB EVRCB0 EVRCB1 EVRCNW
        EVRCNW0 EVRCNW1 EVRCWB EVRCWB0 EVRCWB1 EVS G711-0 G719 G722 G7221 G723 G726-16 G726-24
        G726-32 G726-40 G728 G729 G7291 G729D G729E GSM GSM-EFR GSM-HR-08 L16 L20 L24 L8 LPC MELP
        MELP1200 MELP2400 MELP600 MP4A-LATM MPA PCMA PCMA-WB PCMU PCMU-WB QCELP RED SMV SMV-QCP
        SMV0 TETRA_ACELP TETRA_ACELP_BB TSVCIS UEMCLIP VDVI VMR-WB aac ac3 amr-wb+ aptx asc basic
        clearmode dls dsr-es201108 dsr-es202050 dsr-es202211 dsr-es202212 eac3 encaprtp example
        flexfec fwdred iLBC ip-mr_v2.5 matroska mhas mobile-xmf mp4 mpa-robust mpeg mpeg4-generic
        ogg opus parityfec prs.sid raptorfec rtp-enc-aescm128 rtp-midi rtploopback rtx scip sofa
        sp-midi speex t140c t38 telephone-event tone ulpfec usac vnd.3gpp.iufp vnd.4SB vnd.CELP
        vnd.audiokoz vnd.cisco.nse vnd.cmles.radio-events vnd.cns.anp1 vnd.cns.inf1 vnd.dece.audio
        vnd.digital-winds vnd.dlna.adts vnd.dolby.heaac.1 vnd.dolby.heaac.2 vnd.dolby.mlp
        vnd.dolby.mps vnd.dolby.pl2 vnd.dolby.pl2x vnd.dolby.pl2z vnd.dolby.pulse.1 vnd.dra vnd.dts
        vnd.dts.hd vnd.dts.uhd vnd.dvb.file vnd.everad.plj vnd.hns.audio vnd.lucent.voice
        vnd.ms-playready.media.pya vnd.nokia.mobile-xmf vnd.nortel.vbk vnd.nuera.ecelp4800
        vnd.nuera.ecelp7470 vnd.nuera.ecelp9600 vnd.octel.sbc vnd.presonus.multitrack vnd.qcelp
        vnd.rhetorex.32kadpcm vnd.rip vnd.sealedmedia.softseal.mpeg vnd.vmx.cvsd vorbis
        vorbis-config
    """,
    "font": """
        collection otf sfnt ttf woff woff2
    """,
    "image": """
        aces apng avci avcs avif bmp cgm dicom-rle dpx emf example fits g3fax gif heic
        heic-sequence heif heif-sequence hej2k hsj2 ief j2c jls jp2 jpeg jph jphc jpm jpx jxr jxrA
        jxrS jxs jxsc jxsi jxss ktx ktx2 naplps png prs.btif prs.pti pwg-raster svg+xml t38 tiff
        tiff-fx vnd.adobe.photoshop vnd.airzip.accelerator.azv vnd.cns.inf2 vnd.dece.graphic
        vnd.djvu vnd.dvb.subtitle vnd.dwg vnd.dxf vnd.fastbidsheet vnd.fpx vnd.fst
        vnd.fujixerox.edmics-mmr vnd.fujixerox.edmics-rlc vnd.globalgraphics.pgb vnd.microsoft.icon
        vnd.mix vnd.mozilla.apng vnd.ms-modi vnd.net-fpx vnd.pco.b16 vnd.radiance vnd.sealed.png
        vnd.sealedmedia.softseal.gif vnd.sealedmedia.softseal.jpg vnd.svf vnd.tencent.tap
        vnd.valve.source.texture vnd.wap.wbmp vnd.xiff vnd.zbrush.pcx webp wmf
    """,
    "message": """
        CPIM bhttp delivery-status disposition-notification example external-body feedback-report
        global global-delivery-status global-disposition-notification global-headers http imdn+xml
        mls news ohttp-req ohttp-res partial rfc822 s-http sip sipfrag tracking-status vnd.si.simp
        vnd.wfa.wsc
    """,
    "model": """
        3mf JT e57 example gltf+json gltf-binary iges mesh mtl obj prc step step+xml step+zip
        step-xml+zip stl u3d vnd.bary vnd.cld vnd.collada+xml vnd.dwf vnd.flatland.3dml vnd.gdl
        vnd.gs-gdl vnd.gtw vnd.moml+xml vnd.mts vnd.opengex vnd.parasolid.transmit.binary
        vnd.parasolid.transmit.text vnd.pytha.pyox vnd.rosette.annotated-data-model vnd.sap.vds
        vnd.usda vnd.usdz+zip vnd.valve.source.compiled-map vnd.vtu vrml x3d+fastinfoset x3d+xml
        x3d-vrml
    """,
    "multipart": """
        alternative appledouble byteranges digest encrypted example form-data header-set mixed
        multilingual parallel related report signed vnd.bint.med-plus voice-message x-mixed-replace
    """,
    "text": """
        1d-interleaved-parityfec RED SGML cache-manifest calendar cql cql-expression cql-identifier
        css csv csv-schema directory dns ecmascript encaprtp enriched example fhirpath flexfec
        fwdred gff3 grammar-ref-list hl7v2 html javascript jcr-cnd markdown mizar n3 parameters
        parityfec plain provenance-notation prs.fallenstein.rst prs.lines.tag prs.prop.logic
        prs.texi raptorfec rfc822-headers richtext rtf rtp-enc-aescm128 rtploopback rtx shaclc shex
        spdx strings t140 tab-separated-values troff turtle ulpfec uri-list vcard
        vnd.DMClientScript vnd.IPTC.NITF vnd.IPTC.NewsML vnd.a vnd.abc vnd.ascii-art vnd.curl
        vnd.debian.copyright vnd.dvb.subtitle vnd.esmertec.theme-descriptor vnd.exchangeable
        vnd.familysearch.gedcom vnd.ficlab.flt vnd.fly vnd.fmi.flexstor vnd.gml vnd.graphviz
        vnd.hans vnd.hgl vnd.in3d.3dml vnd.in3d.spot vnd.latex-z vnd.motorola.reflex
        vnd.ms-mediapackage vnd.net2phone.commcenter.command vnd.radisys.msml-basic-layout
        vnd.senx.warpscript vnd.si.uricatalogue vnd.sosi vnd.sun.j2me.app-descriptor
        vnd.trolltech.linguist vnd.wap.si vnd.wap.sl vnd.wap.wml vnd.wap.wmlscript vtt wgsl xml
        xml-external-parsed-entity
    """,
    "video": """
        1d-interleaved-parityfec 3gpp 3gpp-tt 3gpp2 AV1 BMPEG BT656 CelB DV FFV1 H261 H263
        H263-1998 H263-2000 H264 H264-RCDO H264-SVC H265 H266 JPEG MP1S MP2P MP2T MP4V-ES MPV
        SMPTE292M VP8 VP9 encaprtp example flexfec iso.segment jpeg2000 jxsv matroska matroska-3d
        mj2 mp4 mpeg mpeg4-generic nv ogg parityfec pointer quicktime raptorfec raw
        rtp-enc-aescm128 rtploopback rtx scip smpte291 ulpfec vc1 vc2 vnd.CCTV vnd.dece.hd
        vnd.dece.mobile vnd.dece.mp4 vnd.dece.pd vnd.dece.sd vnd.dece.video vnd.directv.mpeg
        vnd.directv.mpeg-tts vnd.dlna.mpeg-tts vnd.dvb.file vnd.fvt vnd.hns.video
        vnd.iptvforum.1dparityfec-1010 vnd.iptvforum.1dparityfec-2005
        vnd.iptvforum.2dparityfec-1010 vnd.iptvforum.2dparityfec-2005 vnd.iptvforum.ttsavc
        vnd.iptvforum.ttsmpeg2 vnd.motorola.video vnd.motorola.videop vnd.mpegurl
        vnd.ms-playready.media.pyv vnd.nokia.interleaved-multimedia vnd.nokia.mp4vr
        vnd.nokia.videovoip vnd.objectvideo vnd.radgamettools.bink vnd.radgamettools.smacker
        vnd.sealed.mpeg1 vnd.sealed.mpeg4 vnd.sealed.swf vnd.sealedmedia.softseal.mov vnd.uvvu.mp4
        vnd.vivo vnd.youtube.yt
    """,
}

MEDIA_TYPES = frozenset(
    f"{top}/{sub}" for top, subs in _MEDIA_SUBTYPES.items() for sub in subs.split()
)
