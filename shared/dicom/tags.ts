/**
 * Tags the core reads and writes, named by their PS3.6 keywords (a test checks each against the
 * dictionary). A tag is a number: group in the high 16 bits, element in the low 16 bits.
 * Import as a namespace: `import * as tags from "shared/dicom/tags"`, then `tags.PatientName`.
 */

// Command set (PS3.7 §E.1)
export const CommandGroupLength = 0x00000000;
export const AffectedSOPClassUID = 0x00000002;
export const RequestedSOPClassUID = 0x00000003;
export const CommandField = 0x00000100;
export const MessageID = 0x00000110;
export const MessageIDBeingRespondedTo = 0x00000120;
export const MoveDestination = 0x00000600;
export const Priority = 0x00000700;
export const CommandDataSetType = 0x00000800;
export const Status = 0x00000900;
export const OffendingElement = 0x00000901;
export const ErrorComment = 0x00000902;
export const ErrorID = 0x00000903;
export const AffectedSOPInstanceUID = 0x00001000;
export const RequestedSOPInstanceUID = 0x00001001;
export const EventTypeID = 0x00001002;
export const AttributeIdentifierList = 0x00001005;
export const ActionTypeID = 0x00001008;
export const NumberOfRemainingSuboperations = 0x00001020;
export const NumberOfCompletedSuboperations = 0x00001021;
export const NumberOfFailedSuboperations = 0x00001022;
export const NumberOfWarningSuboperations = 0x00001023;
export const MoveOriginatorApplicationEntityTitle = 0x00001030;
export const MoveOriginatorMessageID = 0x00001031;

// File Meta Information (PS3.10 §7.1)
export const FileMetaInformationGroupLength = 0x00020000;
export const FileMetaInformationVersion = 0x00020001;
export const MediaStorageSOPClassUID = 0x00020002;
export const MediaStorageSOPInstanceUID = 0x00020003;
export const TransferSyntaxUID = 0x00020010;
export const ImplementationClassUID = 0x00020012;
export const ImplementationVersionName = 0x00020013;
export const SourceApplicationEntityTitle = 0x00020016;
export const SendingApplicationEntityTitle = 0x00020017;
export const ReceivingApplicationEntityTitle = 0x00020018;
export const PrivateInformationCreatorUID = 0x00020100;
export const PrivateInformation = 0x00020102;

// SOP Common, General Study/Series/Equipment, Query/Retrieve
export const SpecificCharacterSet = 0x00080005;
export const ImageType = 0x00080008;
export const InstanceCreationDate = 0x00080012;
export const InstanceCreationTime = 0x00080013;
export const SOPClassUID = 0x00080016;
export const SOPInstanceUID = 0x00080018;
export const StudyDate = 0x00080020;
export const SeriesDate = 0x00080021;
export const AcquisitionDate = 0x00080022;
export const ContentDate = 0x00080023;
export const AcquisitionDateTime = 0x0008002a;
export const StudyTime = 0x00080030;
export const SeriesTime = 0x00080031;
export const AcquisitionTime = 0x00080032;
export const ContentTime = 0x00080033;
export const AccessionNumber = 0x00080050;
export const IssuerOfAccessionNumberSequence = 0x00080051;
export const QueryRetrieveLevel = 0x00080052;
export const RetrieveAETitle = 0x00080054;
export const InstanceAvailability = 0x00080056;
export const FailedSOPInstanceUIDList = 0x00080058;
export const Modality = 0x00080060;
export const ModalitiesInStudy = 0x00080061;
export const SOPClassesInStudy = 0x00080062;
export const ConversionType = 0x00080064;
export const Manufacturer = 0x00080070;
export const InstitutionName = 0x00080080;
export const ReferringPhysicianName = 0x00080090;
export const CodeValue = 0x00080100;
export const CodingSchemeDesignator = 0x00080102;
export const CodeMeaning = 0x00080104;
export const TimezoneOffsetFromUTC = 0x00080201;
export const StationName = 0x00081010;
export const StudyDescription = 0x00081030;
export const ProcedureCodeSequence = 0x00081032;
export const SeriesDescription = 0x0008103e;
export const InstitutionalDepartmentName = 0x00081040;
export const PerformingPhysicianName = 0x00081050;
export const NameOfPhysiciansReadingStudy = 0x00081060;
export const OperatorsName = 0x00081070;
export const ManufacturerModelName = 0x00081090;
export const ReferencedStudySequence = 0x00081110;
export const ReferencedPerformedProcedureStepSequence = 0x00081111;
export const ReferencedSeriesSequence = 0x00081115;
export const ReferencedPatientSequence = 0x00081120;
export const ReferencedImageSequence = 0x00081140;
export const ReferencedSOPClassUID = 0x00081150;
export const ReferencedSOPInstanceUID = 0x00081155;
export const ReferencedFrameNumber = 0x00081160;
export const RetrieveURL = 0x00081190;
export const TransactionUID = 0x00081195;
export const FailureReason = 0x00081197;
export const FailedSOPSequence = 0x00081198;
export const ReferencedSOPSequence = 0x00081199;
export const AvailableTransferSyntaxUID = 0x00083002;

// DICOMDIR (PS3.3 §F.3)
export const FileSetID = 0x00041130;
export const DirectoryRecordSequence = 0x00041220;
export const DirectoryRecordType = 0x00041430;
export const ReferencedFileID = 0x00041500;
export const ReferencedSOPClassUIDInFile = 0x00041510;
export const ReferencedSOPInstanceUIDInFile = 0x00041511;
export const ReferencedTransferSyntaxUIDInFile = 0x00041512;

// Patient
export const PatientName = 0x00100010;
export const PatientID = 0x00100020;
export const IssuerOfPatientID = 0x00100021;
export const TypeOfPatientID = 0x00100022;
export const IssuerOfPatientIDQualifiersSequence = 0x00100024;
export const PatientBirthDate = 0x00100030;
export const PatientBirthTime = 0x00100032;
export const PatientSex = 0x00100040;
export const OtherPatientIDs = 0x00101000;
export const OtherPatientNames = 0x00101001;
export const OtherPatientIDsSequence = 0x00101002;
export const PatientAge = 0x00101010;
export const PatientSize = 0x00101020;
export const PatientWeight = 0x00101030;
export const PatientComments = 0x00104000;

// Acquisition
export const BodyPartExamined = 0x00180015;
export const SliceThickness = 0x00180050;
export const ProtocolName = 0x00181030;

// Study, series and instance identification
export const StudyInstanceUID = 0x0020000d;
export const SeriesInstanceUID = 0x0020000e;
export const StudyID = 0x00200010;
export const SeriesNumber = 0x00200011;
export const AcquisitionNumber = 0x00200012;
export const InstanceNumber = 0x00200013;
export const PatientOrientation = 0x00200020;
export const ImagePositionPatient = 0x00200032;
export const ImageOrientationPatient = 0x00200037;
export const FrameOfReferenceUID = 0x00200052;
export const Laterality = 0x00200060;
export const SliceLocation = 0x00201041;
export const NumberOfPatientRelatedStudies = 0x00201200;
export const NumberOfPatientRelatedSeries = 0x00201202;
export const NumberOfPatientRelatedInstances = 0x00201204;
export const NumberOfStudyRelatedSeries = 0x00201206;
export const NumberOfStudyRelatedInstances = 0x00201208;
export const NumberOfSeriesRelatedInstances = 0x00201209;

// Image Pixel
export const SamplesPerPixel = 0x00280002;
export const PhotometricInterpretation = 0x00280004;
export const PlanarConfiguration = 0x00280006;
export const NumberOfFrames = 0x00280008;
export const Rows = 0x00280010;
export const Columns = 0x00280011;
export const PixelSpacing = 0x00280030;
export const BitsAllocated = 0x00280100;
export const BitsStored = 0x00280101;
export const HighBit = 0x00280102;
export const PixelRepresentation = 0x00280103;
export const WindowCenter = 0x00281050;
export const WindowWidth = 0x00281051;
export const RescaleIntercept = 0x00281052;
export const RescaleSlope = 0x00281053;
export const LossyImageCompression = 0x00282110;
export const LossyImageCompressionRatio = 0x00282112;
export const LossyImageCompressionMethod = 0x00282114;

// Image display and geometry: LUTs, palettes, multi-frame functional groups (the viewer's pipeline)
export const ImagerPixelSpacing = 0x00181164;
export const PixelPaddingValue = 0x00280120;
export const RescaleType = 0x00281054;
export const WindowCenterWidthExplanation = 0x00281055;
export const VOILUTFunction = 0x00281056;
export const RedPaletteColorLookupTableDescriptor = 0x00281101;
export const GreenPaletteColorLookupTableDescriptor = 0x00281102;
export const BluePaletteColorLookupTableDescriptor = 0x00281103;
export const RedPaletteColorLookupTableData = 0x00281201;
export const GreenPaletteColorLookupTableData = 0x00281202;
export const BluePaletteColorLookupTableData = 0x00281203;
export const SegmentedRedPaletteColorLookupTableData = 0x00281221;
export const ModalityLUTSequence = 0x00283000;
export const LUTDescriptor = 0x00283002;
export const ModalityLUTType = 0x00283004;
export const LUTData = 0x00283006;
export const VOILUTSequence = 0x00283010;
export const PresentationLUTShape = 0x20500020;
export const GridFrameOffsetVector = 0x3004000c;
export const PlanePositionSequence = 0x00209113;
export const PlaneOrientationSequence = 0x00209116;
export const PixelMeasuresSequence = 0x00289110;
export const PixelValueTransformationSequence = 0x00289145;
export const FrameVOILUTSequence = 0x00289132;
export const SharedFunctionalGroupsSequence = 0x52009229;
export const PerFrameFunctionalGroupsSequence = 0x52009230;

// Requests and the modality worklist
export const RequestingPhysician = 0x00321032;
export const RequestedProcedureDescription = 0x00321060;
export const ScheduledStationAETitle = 0x00400001;
export const ScheduledProcedureStepStartDate = 0x00400002;
export const ScheduledProcedureStepStartTime = 0x00400003;
export const ScheduledPerformingPhysicianName = 0x00400006;
export const ScheduledProcedureStepDescription = 0x00400007;
export const ScheduledProcedureStepID = 0x00400009;
export const ScheduledStationName = 0x00400010;
export const ScheduledProcedureStepStatus = 0x00400020;
export const ScheduledProcedureStepSequence = 0x00400100;
export const PerformedProcedureStepStartDate = 0x00400244;
export const PerformedProcedureStepStartTime = 0x00400245;
export const RequestAttributesSequence = 0x00400275;
export const RequestedProcedureID = 0x00401001;
export const PurposeOfReferenceCodeSequence = 0x0040a170;
export const ContentSequence = 0x0040a730;
export const RetrieveLocationUID = 0x0040e011;

// Media
export const StorageMediaFileSetUID = 0x00880140;
export const IconImageSequence = 0x00880200;

// Pixel data, padding and the item tags of PS3.5 §7.5
export const FloatPixelData = 0x7fe00008;
export const DoubleFloatPixelData = 0x7fe00009;
export const PixelData = 0x7fe00010;
export const DataSetTrailingPadding = 0xfffcfffc;
export const Item = 0xfffee000;
export const ItemDelimitationItem = 0xfffee00d;
export const SequenceDelimitationItem = 0xfffee0dd;
